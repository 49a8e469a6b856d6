"""A training run bound to its run directory: the step loop, control requests at step boundaries,
checkpoints and resume, trajectory sampling, evaluation. (The command line's inputs are checked in run/inputs.py.)"""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import signal
import time

import torch

from actfocus.algos import dist as D
from actfocus.algos.pooled_rho import RhoWindow
from actfocus.config import PARAMS
from actfocus.run import protocol as P
from actfocus.run.control import take_pending
from actfocus.run.reader import diag_history
from actfocus.run.trajstore import select, step_records
from actfocus.run.writer import RunWriter, atomic_write_json, remove_quietly

KEEP_CHECKPOINTS = 2
# Inside a step only these act (a changed temperature or weighting halfway through would mix two settings
# in one step); the others wait for the step boundary.
WITHIN_STEP_ACTIONS = frozenset({"stop", "pause", "resume"})
# The warm start's loss is written as a progress event this many times over the warm start, at most.
WARM_START_POINTS = 200


def init_model_path(run_dir: str, run_config: dict) -> str:
    return run_config.get("model") or os.path.join(run_dir, P.INIT_MODEL)


def latest_checkpoint(run_dir: str) -> dict | None:
    try:
        with open(os.path.join(run_dir, P.CHECKPOINTS, "latest.json"), encoding="utf-8") as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def warm_start_progress(total: int, beat, emit):
    """The warm start's progress callback: beat((done, total, "steps")) every step (the heartbeat writer
    limits how often that is written), and a progress event with the mean loss since the last one every
    total/WARM_START_POINTS steps and at the end: the dashboard's loss chart, bounded whatever the length."""
    every, acc = max(1, total // WARM_START_POINTS), [0.0, 0]

    def progress(done: int, total: int, loss: float) -> None:
        beat((done, total, "steps"))
        acc[0] += loss
        acc[1] += 1
        if done % every == 0 or done == total:
            emit({"type": "progress", "phase": "pretraining", "done": done, "total": total, "loss": acc[0] / acc[1]})
            acc[:] = [0.0, 0]
    return progress


def compute_info(device: str, precision: str) -> dict:
    """run.json's `compute`: what `auto` resolved to on this machine (docs/protocol.md)."""
    info = {"device": device, "precision": precision}
    if torch.device(device).type == "cuda":
        info["device_name"] = torch.cuda.get_device_name(torch.device(device))
    return info


class Session:
    def __init__(self, writer: RunWriter, cfg: dict, env_cfg: dict, device: str, log=print):
        self.w, self.cfg, self.env_cfg, self.device = writer, cfg, env_cfg, device
        self.paused = False
        self.stop_reason: str | None = None
        self.world = D.current()  # under torchrun: rank 0 writes and reads control requests, all ranks act
        self.log = log if self.world.is_main else (lambda line: None)  # one progress line per step, not one per rank
        self.trainer = None
        self.lm = None
        self.step = 0
        self.activity = "training"  # or "pretraining", "evaluating": the phase the heartbeat shows when not paused

    # ---- signals: first SIGTERM/SIGINT stops cleanly at the next boundary, a second one at once ----
    def _on_signal(self, signum, _frame):
        if self.stop_reason is not None:
            raise KeyboardInterrupt
        self.stop_reason = f"signal {signal.Signals(signum).name}"

    def install_signals(self) -> None:
        for s in (signal.SIGTERM, signal.SIGINT):
            signal.signal(s, self._on_signal)

    # ---- model and trainer ----
    def build(self, model_arg: str | None, pretrain_steps: int, checkpoint: dict | None) -> None:
        from actfocus.algos.trainer import Trainer
        from actfocus.policy.lm import load_policy

        path = init_model_path(self.w.dir, self.w.run["config"])
        if model_arg or os.path.isdir(path):
            lm = load_policy(path)
        else:
            from actfocus.policy.pretrain import pretrain

            self.activity = "pretraining"  # what a resume from a pause here returns to
            self.w.heartbeat.set(phase="pretraining", progress=(0, pretrain_steps, "steps"))
            self.w.emit({"type": "log", "level": "info", "message": f"warm-starting a built-in model ({pretrain_steps} steps)"})
            warm_env_cfg = self.w.run["config"].get("pretrain_env_config", self.env_cfg)  # runs from before this option: the run's own
            lm = pretrain(self.cfg["env"], warm_env_cfg, steps=pretrain_steps, seed=self.cfg["seed"], max_context=self.cfg["max_context"],
                          log=lambda s, loss: s % 50 == 0 and self.w.emit(
                              {"type": "log", "level": "info", "message": f"warm start {s}/{pretrain_steps}: loss {loss:.3f}"}),
                          should_stop=self.warm_start_boundary,
                          progress=warm_start_progress(pretrain_steps, lambda p: self.w.heartbeat.set(progress=p), self.w.emit))
            self.activity = "training"
            if self.world.is_main:  # every rank warm-starts identically (same seed); rank 0 keeps it
                tmp = path + ".tmp"
                shutil.rmtree(tmp, ignore_errors=True)
                lm.save(tmp)
                os.replace(tmp, path)  # a half-written init model is never mistaken for a whole one
        self.lm = lm
        self.trainer = Trainer(self.cfg, lm, self.env_cfg, emit=self.w.emit, device=self.device)
        self.w.update(compute=compute_info(self.device, self.trainer.precision))  # per start: a resume may run elsewhere
        if checkpoint and checkpoint.get("state"):
            st = torch.load(os.path.join(self.w.dir, checkpoint["state"]), map_location=self.device, weights_only=False)
            self.trainer.load_state_dict(st)
        self.cfg = self.trainer.cfg

    # ---- checkpoints ----
    def save_checkpoint(self, light: bool = False) -> str:
        """light: step 0, whose state is the initial model plus fresh optimisers (nothing to save)."""
        if not self.world.is_main:  # parameters and optimiser states are identical on every rank
            return ""
        self.w.heartbeat.set(phase="checkpointing")
        self.w.sync()
        root = os.path.join(self.w.dir, P.CHECKPOINTS)
        os.makedirs(root, exist_ok=True)
        rel_state = None
        if not light:
            rel_state = os.path.join(P.CHECKPOINTS, f"step-{self.step:06d}.pt")
            tmp = os.path.join(self.w.dir, rel_state + ".tmp")
            try:
                torch.save(self.trainer.state_dict(), tmp)
                os.replace(tmp, os.path.join(self.w.dir, rel_state))
            except RuntimeError as e:
                # torch.save reports a full disk as a RuntimeError of its zip writer ("unexpected pos"):
                # tell it apart by the space left (measured before the partial file is removed).
                full = shutil.disk_usage(self.w.dir).free < (1 << 20)
                remove_quietly(tmp)
                if full:
                    raise OSError(errno.ENOSPC, f"no space left to save a checkpoint ({e})") from e
                raise
            except BaseException:
                remove_quietly(tmp)  # never a half-written checkpoint beside the good ones
                raise
        info = {"step": self.step, "state": rel_state, "marks": self.w.marks(), "t": time.time(),
                "paused": self.paused, "cfg": {k: self.cfg[k] for k in PARAMS}}
        atomic_write_json(os.path.join(root, "latest.json"), info)
        for name in sorted(n for n in os.listdir(root) if n.startswith("step-") and n.endswith(".pt"))[:-KEEP_CHECKPOINTS]:
            os.remove(os.path.join(root, name))
        self.w.emit({"type": "checkpoint", "path": rel_state or os.path.join(P.CHECKPOINTS, "latest.json")}, step=self.step)
        self.w.heartbeat.set(phase=self.phase())
        return rel_state or ""

    def phase(self) -> str:
        return "paused" if self.paused else self.activity

    # ---- control ----
    def handle_control(self, only: frozenset[str] | None = None) -> None:
        reqs = D.broadcast_object(take_pending(self.w.dir, only) if self.world.is_main else None, self.world)
        for req in reqs:
            base = {"request": req.id}
            if req.error:
                self.w.emit({"type": "error", "message": req.error, **base, "action": req.action,
                             **({"field": req.field} if req.field else {})})
                continue
            if self.trainer is None and req.action not in WITHIN_STEP_ACTIONS:  # the warm start: nothing else exists yet
                self.w.emit({"type": "error", "message": f"{req.action} is not available during the warm start; "
                                                         "send it again once training has started", **base, "action": req.action})
                continue
            try:
                detail = self.apply(req)
            except Exception as e:  # noqa: BLE001 - a failed request is reported, training goes on
                self.w.emit({"type": "error", "message": f"{type(e).__name__}: {e}", **base, "action": req.action})
                continue
            self.w.emit({"type": "ack", **base, "action": req.action, **({"detail": detail} if detail else {})})

    def apply(self, req) -> str | None:
        a = req.action
        if a == "set_hparams":
            prev = {k: self.cfg[k] for k in req.values}
            self.trainer.set_hparams(req.values)
            self.w.emit({"type": "hparams", "values": req.values, "previous": prev, "source": "request", "request": req.id})
            return ", ".join(f"{k}={v}" for k, v in req.values.items())
        if a in ("pause", "resume"):
            pause = a == "pause"
            if self.paused == pause:
                return "already paused" if pause else "not paused"
            self.paused = pause
            self.w.heartbeat.set(phase=self.phase())
            self.w.set_status("paused" if pause else "running", reason=f"request {req.id}")
            return None
        if a == "stop":
            self.stop_reason = f"request {req.id}"
            return None
        if a == "checkpoint":
            return self.save_checkpoint()
        if a == "export_onnx":
            from actfocus.export.onnx import export_onnx

            if not self.world.is_main:
                return None
            self.w.heartbeat.set(phase="exporting")
            rel = os.path.join(P.EXPORTS, f"step-{self.step:06d}")
            export_onnx(self.lm, os.path.join(self.w.dir, rel))
            self.w.heartbeat.set(phase=self.phase())
            self.w.emit({"type": "export", "path": rel, "format": "onnx"})
            return rel
        raise ValueError(f"unhandled action {a}")

    def warm_start_boundary(self, step: int) -> bool:
        """After every warm-start step (a fraction of a second): a signal or a stop request ends the warm
        start, a pause waits here (handle_control refuses the other requests there). Every rank asks at the
        same steps and follows the same requests, so the broadcasts pair up."""
        self.boundary()
        return self.stop_reason is not None

    def within_step(self, phase: str, done: int, total: int) -> None:
        """The trainer's hook between a step's parts (each rollout or evaluation turn, before the update):
        stop and pause act here, within about a second, instead of at the step's end, by abandoning the
        step (StepInterrupted; nothing of it was applied, random states are put back). A paused run then
        waits at the step boundary, where every request can be answered, and runs the step again from its
        start on resume. Single process only: under torchrun the ranks' turn counts differ, so per-turn
        broadcasts would not pair up."""
        from actfocus.algos.trainer import StepInterrupted

        if phase == "evaluating":
            self.w.heartbeat.set(progress=(done, total, "episodes"))
        if self.world.size > 1:
            return
        in_progress, self.w.run["step"] = self.w.run["step"], self.step  # answers belong to the last whole step
        try:
            self.handle_control(WITHIN_STEP_ACTIONS)
        finally:
            self.w.run["step"] = in_progress
        if self.stop_reason is not None or self.paused:
            raise StepInterrupted(phase)

    def evaluate(self, step: int) -> None:
        """A held-out evaluation. A pause during it waits at the boundary, then evaluates again from the
        start; a stop skips it (said in the log) and lets the run stop."""
        from actfocus.algos.trainer import StepInterrupted

        while True:
            self.activity = "evaluating"
            self.w.heartbeat.set(phase=self.phase(), progress=(0, self.cfg["eval_prompts"], "episodes"))
            try:
                self.w.emit({"type": "metrics", **self.trainer.evaluate()}, step=step)
                return
            except StepInterrupted:
                if self.stop_reason is not None:
                    self.w.emit({"type": "log", "level": "warning", "message": f"the evaluation at step {step} was stopped before its end: no result"}, step=step)
                    return
                self.activity = "training"
                self.boundary()  # paused: wait here, answering every request; a stop may come meanwhile
                if self.stop_reason is not None:
                    return
            finally:
                self.activity = "training"
                self.w.heartbeat.set(phase=self.phase())

    def boundary(self) -> None:
        """Apply control requests; while paused, keep answering them until resume or stop. Ranks follow
        rank 0 (its requests, its signals) so they all stop at the same boundary."""
        self.stop_reason = D.broadcast_object(self.stop_reason, self.world)
        self.handle_control()
        while self.paused and self.stop_reason is None:
            time.sleep(0.2)
            self.stop_reason = D.broadcast_object(self.stop_reason, self.world)
            self.handle_control()

    # ---- the loop ----
    def run(self, start_step: int, total: int, fresh: bool = True) -> int:
        """fresh: no checkpoint exists yet (a new run, or a resume of one killed during start-up)."""
        c = self.cfg
        from actfocus.algos.trainer import StepInterrupted

        self.step = start_step
        self.trainer.hook = self.within_step
        self.rho_window = RhoWindow(c["diag_window"], [] if fresh else diag_history(self.w.dir, start_step, c["diag_window"]))
        self.w.heartbeat.set(step=start_step, phase=self.phase())
        if fresh:
            if c["eval_every"]:
                self.evaluate(0)
            self.save_checkpoint(light=True)
        self.boundary()
        while self.step < total and self.stop_reason is None:
            step = self.step + 1
            self.w.run["step"] = step
            try:
                result = self.trainer.step(step)
            except StepInterrupted as e:
                self.w.run["step"] = self.step
                if self.stop_reason is None:  # a pause: wait at the boundary, then run the step from its start
                    self.w.emit({"type": "log", "level": "info", "message": f"paused during step {step}'s {e}: the step starts again on resume"})
                    self.boundary()
                    continue
                self.stop_reason += f" (during step {step}'s {e}, which was abandoned: the run ends at step {self.step})"
                break
            m = {**result.metrics, **self.rho_window.add(step, result.diag_groups)}
            self.w.emit({"type": "metrics", **m, "diag_groups": result.diag_groups}, step=step)
            self.store_trajectories(step, result)
            self.step = step  # the step is applied: what a checkpoint or answer during its evaluation belongs to
            if c["eval_every"] and step % c["eval_every"] == 0:
                self.evaluate(step)
            self.w.end_step(step)
            if (c["checkpoint_every"] and step % c["checkpoint_every"] == 0) or step == total:
                self.save_checkpoint()
            self.log(f"step {step}/{total}: reward {m['reward_mean']:.3f} success {m['success_rate']:.3f} "
                     f"action share {m['diag/share_action']:.3f} rho_action {m['diag/rho_action']}")
            self.boundary()
        if self.stop_reason is not None:
            last = latest_checkpoint(self.w.dir)
            if last is None or last["step"] != self.step:
                self.save_checkpoint()
            self.w.close("stopped", reason=self.stop_reason)
            return 0
        if hasattr(self.lm, "tokenizer") and self.world.is_main:
            self.lm.save(self.w.path(P.FINAL_MODEL))
        self.w.close("completed")
        return 0

    def store_trajectories(self, step: int, result) -> None:
        c = self.cfg
        chosen = select(result.trajs, c["traj_sampling"], c["traj_k"], random.Random(c["seed"] * 1_000_003 + step))
        for header, cols in step_records(step, c["env"], chosen, result.batch, self.lm, per_trajectory_adv=c["algo"] == "grpo"):
            self.w.trajectories.append(header, cols)
