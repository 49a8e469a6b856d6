"""Validation against docs/protocol.schema.json, the one definition of the run-directory files."""

import json
import pathlib
import subprocess
import sys

import jsonschema

SCHEMA_PATH = pathlib.Path(__file__).resolve().parents[2] / "docs" / "protocol.schema.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text())
_VALIDATORS: dict = {}


def validate(definition: str, obj) -> None:
    v = _VALIDATORS.get(definition)
    if v is None:
        v = _VALIDATORS[definition] = jsonschema.Draft202012Validator({"$ref": f"#/$defs/{definition}", "$defs": SCHEMA["$defs"]})
    v.validate(obj)


# Small, fast training settings for protocol tests (the model comes from the tiny_model_dir fixture).
FAST = ["--env-config", '{"is_slippery": false}', "--prompts-per-step", "2", "--group-size", "2", "--max-new-tokens", "16",
        "--max-context", "384", "--eval-prompts", "2", "--lr", "0.001"]


def actfocus(*args, timeout=300, **kw):
    return subprocess.run([sys.executable, "-m", "actfocus", *map(str, args)], capture_output=True, text=True, timeout=timeout, **kw)


def spawn(*args, **kw):
    return subprocess.Popen([sys.executable, "-m", "actfocus", *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
