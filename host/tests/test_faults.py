"""Faults caused for real, each with its documented behaviour (docs/protocol.md, "Faults"):
- a full disk under the run directory (a small tmpfs in a private mount namespace): the host stops with
  one sentence that says so and how to continue, leaves every file whole (no temporaries), and
  `actfocus resume` finishes the run once there is space;
- a hung host (SIGSTOP): readers see it as not responding once its heartbeat is 3 intervals old, and as
  running again when it continues (SIGCONT), with nothing lost."""

import json
import os
import signal
import subprocess
import sys
import time

from protocol_util import validate
from test_control import answer, request, wait_for

from actfocus.run.reader import read_events

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SMALL = ["--env-config", '{"is_slippery": false}', "--prompts-per-step", "2", "--group-size", "2", "--max-new-tokens", "16", "--eval-every", "0"]


def private_mount_shell() -> list[str]:
    """A shell in its own mount namespace, so the tmpfs is private and vanishes with it (root: plain
    unshare; otherwise a user namespace maps the user to root there)."""
    return ["unshare", "--mount", "sh", "-c"] if os.geteuid() == 0 else ["unshare", "--mount", "--map-root-user", "sh", "-c"]


def test_a_full_disk_stops_the_run_cleanly_and_resume_finishes_it(tmp_path, tiny_model_dir):
    disk, out = tmp_path / "disk", tmp_path / "out"
    disk.mkdir()
    out.mkdir()
    py = sys.executable
    script = f"""
set -u
mount -t tmpfs -o size=600k tmpfs {disk} || exit 90
{py} -m actfocus train --run-dir {disk}/run --model {tiny_model_dir} --steps 6 --checkpoint-every 1 --traj-sampling all {' '.join(repr(a) for a in SMALL)} \\
  >{out}/train.out 2>{out}/train.err
echo $? >{out}/train.rc
cp -r {disk}/run {out}/after-full
mount -o remount,size=40m {disk}
{py} -m actfocus resume {disk}/run >{out}/resume.out 2>{out}/resume.err
echo $? >{out}/resume.rc
cp -r {disk}/run {out}/after-resume
"""
    r = subprocess.run([*private_mount_shell(), script], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"the private tmpfs could not be set up: {r.stderr}"
    rc = int((out / "train.rc").read_text())
    err = (out / "train.err").read_text()
    assert rc == 1, err
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("warm")]
    assert len(lines) == 1 and "no space left on the device" in lines[0] and f"actfocus resume {disk}/run" in lines[0], err
    full = out / "after-full"
    assert not [p for p in full.rglob("*") if ".tmp" in p.name], "a temporary file was left behind"
    json.loads((full / "run.json").read_text())  # still whole
    for line in (full / "events.jsonl").read_bytes().split(b"\n")[:-1]:
        validate("event", json.loads(line))  # every complete line is intact
    # With space again, resume finishes the run; each step appears once.
    assert int((out / "resume.rc").read_text()) == 0, (out / "resume.err").read_text()
    done = out / "after-resume"
    assert json.loads((done / "run.json").read_text())["status"] == "completed"
    steps = [e["step"] for e in read_events(str(done)).records if e["type"] == "metrics" and "reward_mean" in e]
    assert steps == [1, 2, 3, 4, 5, 6]


def liveness_of(run_dir) -> dict:
    """The extension's own verdict (src/common/runSummary.ts) on the run directory's files, now."""
    r = subprocess.run(["node", "--import", "tsx", "test/support/summarizeRunDir.ts", str(run_dir)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_a_stopped_host_reads_as_not_responding_and_comes_back(tmp_path, tiny_model_dir):
    run_dir = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "actfocus", "train", "--run-dir", str(run_dir), "--model", str(tiny_model_dir),
                             "--steps", "1000", "--checkpoint-every", "0", *SMALL], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(run_dir, lambda e: e["type"] == "metrics" and e["step"] >= 1, timeout=120)
        assert liveness_of(run_dir)["status"] == "running"
        os.kill(proc.pid, signal.SIGSTOP)
        time.sleep(8)  # > 3 heartbeat intervals of 2 s
        hung = liveness_of(run_dir)
        assert hung["status"] == "dead" and "stopped responding" in hung["problem"], hung
        before = (run_dir / "events.jsonl").read_bytes()
        os.kill(proc.pid, signal.SIGCONT)
        deadline = time.time() + 30
        while liveness_of(run_dir)["status"] != "running":
            assert time.time() < deadline, "the host did not come back after SIGCONT"
            time.sleep(1)
        assert answer(run_dir, request(run_dir, "stop"))["type"] == "ack"
        proc.wait(timeout=120)
        assert proc.returncode == 0, proc.stderr.read()[-2000:]
        assert (run_dir / "events.jsonl").read_bytes().startswith(before)  # nothing written while hung was lost
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGCONT)
            proc.kill()
