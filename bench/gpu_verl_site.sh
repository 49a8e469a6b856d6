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
# The verl test's modules, as distributions at the verl venv's versions, minus those in the GPU image.
"$ROOT/.venv-verl/bin/python" - "$WHL/need.txt" <<'PY'
import importlib.metadata as md, sys
image = {"torch", "transformers", "numpy", "pandas", "pyarrow", "accelerate", "peft", "safetensors", "tokenizers",
         "huggingface-hub", "pyyaml", "regex", "requests", "packaging", "filelock", "fsspec", "jinja2", "psutil",
         "rich", "pygments", "click", "attrs", "msgpack", "xxhash", "protobuf", "pytest", "tqdm"}
need = ["verl", "ray", "tensordict", "codetiming", "omegaconf", "hydra-core", "datasets", "dill", "multiprocess",
        "pydantic", "pydantic-core", "annotated-types", "typing-inspection", "fastapi", "starlette", "uvicorn",
        "cachetools", "orjson", "colorful", "pyvers", "jsonschema", "jsonschema-specifications", "referencing",
        "rpds-py", "sniffio", "opentelemetry-api", "opentelemetry-sdk", "opentelemetry-proto",
        "opentelemetry-semantic-conventions", "opentelemetry-exporter-prometheus", "google-api-core",
        "googleapis-common-protos", "google-auth"]
open(sys.argv[1], "w").write("".join(f"{n}=={md.version(n)}\n" for n in need if n not in image))
PY
plat=(--python-version 3.12 --implementation cp --only-binary=:all: --platform manylinux2014_x86_64
      --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64)
python3 -m pip download -q --no-deps "${plat[@]}" -d "$WHL" -r "$WHL/need.txt"
rm -rf "$DEST" && python3 -m pip install -q --no-deps --no-compile --target "$DEST" "${plat[@]}" "$WHL"/*.whl
cp -r "$SITE"/antlr4 "$SITE"/antlr4_python3_runtime-*.dist-info "$DEST/"  # omegaconf's pin exists as a source package only
rm -rf "$DEST"/ray/{jars,core/src,rllib,data,serve,tune,train}
tar cJf "$ROOT/playground/gpu312.tar.xz" -C "$ROOT/playground" gpu312
ls -la "$ROOT/playground/gpu312.tar.xz"
