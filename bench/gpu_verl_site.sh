#!/usr/bin/env bash
# Packs what the GPU machine lacks for the verl tests (bench/gpu_check.sh part "verl") into
# playground/gpu312.tar.xz, to be named in the device tool's `carry`. The GPU image has Python 3.12 with
# torch, transformers, pandas and pyarrow, and no network; verl, Ray, tensordict and the rest of what
# host/tests/verl imports travel as Python 3.12 wheels, installed here with --target. Ray is trimmed to
# what `import ray` loads (its server binaries, Java jars and libraries are never started by these tests),
# which brings the archive to ~20 MB (the tool carries 64 MiB).
# Usage: bash bench/gpu_verl_site.sh   (after scripts/setup.sh verl, whose versions it copies)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SITE=$("$ROOT/.venv-verl/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
WHL=$(mktemp -d) DEST="$ROOT/playground/gpu312"
# The distributions of every module the verl tests load, at the verl venv's versions, minus those the GPU
# image has (device README, KINDS.md): traced, not listed by hand (a hand list missed torchdata once).
(cd "$ROOT/host" && "$ROOT/.venv-verl/bin/python" - "$WHL/need.txt") <<'PY'
import importlib.metadata as md, sys
import hydra, pytest  # noqa: F401
import actfocus.integrations.verl.agent_loop, actfocus.integrations.verl.loss, actfocus.integrations.verl.main_ppo  # noqa: F401
import actfocus.integrations.verl.ref_energy, actfocus.integrations.verl.trainer  # noqa: F401
from verl.utils.dataset.rl_dataset import RLHFDataset  # noqa: F401
from verl.workers.engine_workers import TrainingWorker  # noqa: F401
image = {"accelerate", "annotated-doc", "anyio", "attrs", "certifi", "charset-normalizer", "click", "cloudpickle", "colorama",
         "filelock", "fsspec", "h11", "httpcore", "httpx", "huggingface-hub", "idna", "iniconfig", "jinja2", "markupsafe",
         "mpmath", "msgpack", "numpy", "packaging", "pandas", "peft", "pillow", "pluggy", "protobuf", "psutil", "pyarrow",
         "pygments", "pytest", "python-dateutil", "pyyaml", "regex", "requests", "rich", "safetensors", "setuptools", "sympy",
         "tokenizers", "torch", "tqdm", "transformers", "typing-extensions", "urllib3", "xxhash", "actfocus"}
norm = lambda n: n.lower().replace("_", "-")
found = md.packages_distributions()
dists = {d for m in {k.split(".")[0] for k in sys.modules} for d in found.get(m, [])}
need = sorted(d for d in dists if norm(d) not in image and norm(d) != "antlr4-python3-runtime")
open(sys.argv[1], "w").write("".join(f"{d}=={md.version(d)}\n" for d in need))
print("carrying:", " ".join(need))
PY
plat=(--python-version 3.12 --implementation cp --only-binary=:all: --platform manylinux2014_x86_64
      --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64)
python3 -m pip download -q --no-deps "${plat[@]}" -d "$WHL" -r "$WHL/need.txt"
rm -rf "$DEST" && python3 -m pip install -q --no-deps --no-compile --target "$DEST" "${plat[@]}" "$WHL"/*.whl
cp -r "$SITE"/antlr4 "$SITE"/antlr4_python3_runtime-*.dist-info "$DEST/"  # omegaconf's pin exists as a source package only
rm -rf "$DEST"/ray/{jars,core/src,rllib,data,serve,tune,train}
tar cJf "$ROOT/playground/gpu312.tar.xz" -C "$ROOT/playground" gpu312
ls -la "$ROOT/playground/gpu312.tar.xz"
