"""Every command in README.md and docs/*.md code blocks, run as written (the `docs` layer of scripts/test.sh).

Blocks tagged bash/sh/shell: each command (a line, with `\\` continuations) runs in bash, in file order, in
one scratch folder that mirrors the repository, so later commands see what earlier ones wrote
(models/fl, runs/fl-actfocus, …). Budgets are small through the documented environment variables, never
by editing a command: ACTFOCUS_BUDGET=smoke (host/actfocus/budget.py), PORT and ACTFOCUS_WORKSPACE
(scripts/start.sh). Blocks tagged python run as scripts, and commands that name actfocus.integrations.verl
run with `python` from .venv-verl (where the verl extra is installed); yaml blocks
must parse. A failure names the file and line. The few commands that cannot run here are listed in
EXEMPT with the reason and what covers them instead; an entry that no longer matches a documented
command fails, so the list cannot go stale."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Outputs of commands and of earlier runs: never mirrored into the scratch folder.
NOT_MIRRORED = {".git", "runs", "models", "playground", "dist", "test-output", "out"}

EXEMPT = {
    "scripts/test.sh": "the test command itself: this layer runs inside it",
    "code --install-extension dist/actfocus.vsix": "needs desktop VS Code; the e2e layer installs the same .vsix into code-server "
                                                   "(--install-extension) and drives it",
    'pip install "actfocus[verl] @ file:./host"': "installs verl and Ray from the package index into the current environment; "
                                                 "scripts/setup.sh installs the same extra (the line's alternative, pip install -e "
                                                 "'host[verl]') into .venv-verl, which the verl layer tests",
    "python -m actfocus.integrations.verl.main_ppo": "needs 8 GPUs, vLLM and a downloaded Qwen2.5-3B-Instruct; the verl layer checks "
                                                     "its configuration (--cfg job), its refusals, the trainer's steps, loss mode "
                                                     "and aggregation (host/tests/verl)",
}
# Commands that serve until stopped: passing means the printed URL answers.
SERVES = {"scripts/start.sh"}
# Commands that build the extension run in the repository itself (their outputs, dist/, are ignored by
# git): vsce checks dependencies with `npm ls`, which fails through a linked node_modules.
IN_REPO = ("scripts/start.sh", "npm run package")


@dataclass
class Snippet:
    file: str  # relative to the repository
    line: int  # 1-based line of the command (or of the block's opening fence)
    lang: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def snippets() -> list[Snippet]:
    out = []
    for path in DOCS:
        rel = str(path.relative_to(ROOT))
        lines = path.read_text(encoding="utf-8").splitlines()
        i = 0
        while i < len(lines):
            m = re.match(r"^\s*```(\S*)", lines[i])
            if not m:
                i += 1
                continue
            lang, start, body = m.group(1).lower(), i + 1, []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                body.append(lines[i])
                i += 1
            i += 1
            if lang in ("bash", "sh", "shell"):
                out += _commands(rel, start + 1, body)
            elif lang in ("python", "yaml", "yml"):
                out.append(Snippet(rel, start, lang, "\n".join(body)))
    return out


def _commands(rel: str, first_line: int, body: list[str]) -> list[Snippet]:
    cmds, cur, at = [], "", 0
    for k, line in enumerate(body):
        if not cur:
            at = first_line + k
            if not line.strip() or line.lstrip().startswith("#"):
                continue
        cur += line
        if line.rstrip().endswith("\\"):
            cur = cur.rstrip()[:-1] + " "
            continue
        cmds.append(Snippet(rel, at, "bash", cur.strip()))
        cur = ""
    return cmds


def exemption(s: Snippet) -> str | None:
    return next((why for prefix, why in EXEMPT.items() if s.lang == "bash" and s.text.startswith(prefix)), None)


ALL = snippets()
RUN = [s for s in ALL if exemption(s) is None]


def test_the_docs_have_commands_and_no_stale_exemption():
    assert len([s for s in ALL if s.lang == "bash"]) >= 15, [s.where for s in ALL]
    for prefix in EXEMPT:
        assert any(s.text.startswith(prefix) for s in ALL), f"EXEMPT entry {prefix!r} matches no documented command: remove it"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    """A folder that mirrors the repository (links to its files; outputs land in the folder itself)."""
    d = tmp_path_factory.mktemp("docs")
    for entry in ROOT.iterdir():
        if entry.name not in NOT_MIRRORED:
            (d / entry.name).symlink_to(entry)
    return d


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(scratch: Path) -> dict:
    env = {**os.environ, "ACTFOCUS_BUDGET": "smoke", "PORT": str(_free_port()), "ACTFOCUS_WORKSPACE": str(scratch / "playground")}
    return env


def _uses_verl(text: str) -> bool:
    return bool(re.search(r"^\s*(from|import) verl\b|integrations\.verl", text, re.M))


@pytest.mark.parametrize("s", RUN, ids=[s.where for s in RUN])
def test_documented_command_runs_as_written(s: Snippet, scratch: Path):
    env = _env(scratch)
    if s.lang in ("yaml", "yml"):
        try:
            yaml.safe_load(s.text)
        except yaml.YAMLError as e:
            pytest.fail(f"{s.where}: the yaml block does not parse: {e}")
        return
    if s.lang == "python":
        python = str(ROOT / (".venv-verl" if _uses_verl(s.text) else ".venv") / "bin" / "python")
        r = subprocess.run([python, "-c", s.text], cwd=scratch, env=env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
        assert r.returncode == 0, f"{s.where}: the python block failed (exit {r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-4000:]}"
        return
    cwd = ROOT if s.text.startswith(IN_REPO) else scratch
    if s.text.split()[0] in SERVES:
        _serves(s, cwd, env, scratch)
        return
    if _uses_verl(s.text):  # as for python blocks: `python` is the verl venv's, where the verl extra is installed
        env["PATH"] = f"{ROOT / '.venv-verl' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    r = subprocess.run(["bash", "-c", s.text], cwd=cwd, env=env, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"{s.where}: `{s.text}` failed (exit {r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-4000:]}"


def _serves(s: Snippet, cwd: Path, env: dict, scratch: Path) -> None:
    """Start it, wait for the URL it prints to answer, then stop it (and the demo run it started)."""
    log = scratch / f"serve-{s.line}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(["bash", "-c", s.text], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline, url = time.monotonic() + 900, None
        while time.monotonic() < deadline and proc.poll() is None:
            m = re.search(r"http://127\.0\.0\.1:\d+/\S*", log.read_text(errors="replace"))
            if m:
                url = m.group(0)
                try:
                    with urllib.request.urlopen(url, timeout=5) as resp:
                        if resp.status == 200:
                            break
                except OSError:
                    pass
            time.sleep(1)
        else:
            pytest.fail(f"{s.where}: `{s.text}` never served its URL ({'exit ' + str(proc.returncode) if proc.poll() is not None else 'timeout'}):\n"
                        f"{log.read_text(errors='replace')[-4000:]}")
        assert url, f"{s.where}: printed no URL"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        _wait_for_demo_runs(Path(env["ACTFOCUS_WORKSPACE"]) / "runs")


def _wait_for_demo_runs(runs: Path) -> None:
    """The demo run outlives start.sh by design (its own session); on the smoke budget it ends in seconds."""
    import json

    deadline = time.monotonic() + 300
    for run_json in runs.glob("*/run.json"):
        while time.monotonic() < deadline:
            status = json.loads(run_json.read_text()).get("status")
            if status in ("completed", "stopped", "failed"):
                assert status == "completed", f"the demo run {run_json.parent} ended {status}"
                break
            time.sleep(1)


if __name__ == "__main__":  # list what would run: python test/docs/test_doc_commands.py
    for s in ALL:
        print(f"{s.where:28} {s.lang:6} {'EXEMPT ' if exemption(s) else ''}{s.text.splitlines()[0][:100]}")
    sys.exit(0)
