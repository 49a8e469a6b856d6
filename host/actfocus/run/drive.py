"""Running a built session to its end: status records, the failure sentence and its traceback, and the
exit code (0 done or stopped, 1 failed, 130 interrupted) that `train` and `resume` return."""

from __future__ import annotations

import errno
import os
import sys

from actfocus.config import PARAMS
from actfocus.policy.warm_start import WarmStartStopped
from actfocus.run import protocol as P


def drive(session, writer, build, start_step: int, source: str) -> int:
    session.install_signals()
    writer.update(status="running")
    writer.emit({"type": "status", "status": "running"}, step=start_step)
    try:
        build()
        writer.emit({"type": "hparams", "values": {k: session.cfg[k] for k in PARAMS}, "source": source}, step=start_step)
        if session.paused:
            writer.set_status("paused", reason="paused when the checkpoint was taken")
        return session.run(start_step, session.cfg["steps"], fresh=source == "start")
    except KeyboardInterrupt:
        writer.close("stopped", reason="interrupted")
        return 130
    except WarmStartStopped as e:  # nothing to checkpoint: a resume warm-starts again
        writer.close("stopped", reason=f"{session.stop_reason} ({e})")
        return 0
    except Exception as e:  # noqa: BLE001 - any failure: one sentence for the user, the traceback in host.log
        where = "while starting" if session.trainer is None else f"in step {session.step + 1}"
        if isinstance(e, OSError) and e.errno == errno.ENOSPC:
            # Nothing can be written, not even the record of the failure: say it here, in full. What was
            # written before stays whole (appends are whole lines, files are replaced atomically).
            reason = (f"the run stopped {where}: no space left on the device that holds {writer.dir}; free some space, then "
                      f"`actfocus resume {writer.dir}` continues from the last checkpoint")
            tail = ""
        else:
            reason = failure_sentence(e, where)
            tail = f" (traceback in {keep_traceback(writer.dir, e)})"
        for record in (lambda: writer.emit({"type": "error", "message": reason}), lambda: writer.close("failed", reason=reason)):
            try:
                record()
            except OSError:
                pass  # the sentence below still reaches the user
        if session.world.is_main:
            print(f"actfocus: {reason}{tail}", file=sys.stderr, flush=True)
        return 1


def failure_sentence(e: BaseException, where: str) -> str:
    """What went wrong, as one line: where the run was and the error's own words."""
    detail = " ".join(str(e).split()) or "no details"
    return f"the run failed {where}: {type(e).__name__}: {detail}"


def keep_traceback(run_dir: str, e: BaseException) -> str:
    """Append the traceback to RUN_DIR/host.log (where the extension sends the host's output; appends
    are whole lines in O_APPEND mode, so they never tear the extension's own writes)."""
    import traceback

    path = os.path.join(run_dir, P.HOST_LOG)
    text = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(text)
    except OSError:
        sys.stderr.write(text)  # nowhere to keep it: the terminal gets it after all
        return "the output above"
    return path
