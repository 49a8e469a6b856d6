import subprocess
import sys

import actfocus


def run(*args):
    return subprocess.run([sys.executable, "-m", "actfocus", *args], capture_output=True, text=True)


def test_version_is_printed():
    r = run("--version")
    assert r.returncode == 0
    assert r.stdout.strip() == f"actfocus {actfocus.__version__}"


def test_no_command_prints_help_and_exits_2():
    r = run()
    assert r.returncode == 2
    assert "usage: actfocus" in r.stderr


def test_torch_is_importable_in_the_host_env():
    import torch

    assert torch.tensor([1.0, 2.0]).sum().item() == 3.0
