#!/usr/bin/env bash
# The GPU checks of a device session (docs/method.md "Precision", issue 20), in one command:
#   1. the device-parametrised suite (tests/test_device.py), whose CUDA half runs only on a GPU;
#   2. a randomly initialised Qwen2 of the 0.5B configuration: our sampler against Hugging Face generate
#      on the same batch, then a short GRPO+ActFocus run at the paper's batch in bf16 through the CLI;
#   3. the gpu profile's throughput part (bench/repro/throughput.py);
#   4. verl's engine workers on CUDA (host/tests/verl, parametrised by device): reference energies through
#      verl's reference pass and the actfocus loss through its actor update. The GPU image has no verl: its
#      packages travel as playground/gpu312.tar.xz (bench/gpu_verl_site.sh), added after the image's own.
# PARTS picks parts (default "device qwen throughput verl"). Results go to $OUT (default /tmp/gpu-check).
# Every part has its own time limit, so one hang costs only it.
set -u
PARTS=${PARTS:-device qwen throughput verl}
has() { [[ " $PARTS " == *" $1 "* ]]; }
OUT=${OUT:-/tmp/gpu-check}
mkdir -p "$OUT"
export PYTHONPATH="$PWD/host" PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
PY=${PY:-python3}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUT/gpu.txt"
$PY -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__)" | tee -a "$OUT/gpu.txt"

if has device; then
echo "== 1. device suite"
(cd host && timeout 240 $PY -m pytest -q -p no:cacheprovider -rA tests/test_device.py 2>&1) > "$OUT/device_tests.txt"
grep -E "PASSED|FAILED|ERROR|passed|failed|^E " "$OUT/device_tests.txt" | head -60
fi

if has qwen; then
echo "== 2. Qwen2 0.5B (random): sampler against HF generate; a short GRPO+ActFocus run"
timeout 150 $PY bench/gpu_qwen.py make /tmp/qwen05 2>&1 | grep -v "it/s"
timeout 200 $PY bench/gpu_qwen.py generate /tmp/qwen05 "$OUT/generate.json" 2>&1 | grep -v "it/s"
rm -rf /tmp/run05
timeout 300 $PY -m actfocus train --model /tmp/qwen05 --run-dir /tmp/run05 --set env=frozenlake --set algo=grpo --set weighting=actfocus \
  --set steps=2 --set prompts_per_step=8 --set group_size=16 --set max_new_tokens=128 --set max_context=2048 \
  --set eval_every=2 --set eval_prompts=8 --set mini_batch_size=128 --set micro_batch_size=8 --set checkpoint_every=0 \
  --set device=cuda --set precision=auto --env-config '{"is_slippery": false, "max_turns": 3}' 2>&1 | grep -v "it/s" | tail -8
cp /tmp/run05/run.json /tmp/run05/events.jsonl "$OUT/" 2>/dev/null
$PY - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
run = json.load(open(f"{out}/run.json"))
print("run:", run["status"], run.get("compute"))
for line in open(f"{out}/events.jsonl"):
    e = json.loads(line)
    if e["type"] == "metrics" and "rollout_tokens_per_s" in e:
        print({k: round(e[k], 2) for k in ("rollout_tokens_per_s", "train_tokens_per_s", "time_rollout_s", "time_train_s", "time_step_s", "response_tokens_mean", "turns_mean")})
PY
fi

if has throughput; then
echo "== 3. gpu profile, throughput part"
timeout 300 $PY bench/repro/suite.py throughput --profile gpu --out "$OUT/throughput" 2>&1 | grep -v "it/s" | tail -6
fi

if has verl; then
echo "== 4. verl's engine workers on CUDA"
if [ -f playground/gpu312.tar.xz ]; then
  mkdir -p /tmp/verl-site && tar xJf playground/gpu312.tar.xz -C /tmp/verl-site
  # A .pth line is appended to sys.path after the image's packages, so the image's torch and transformers win.
  echo /tmp/verl-site/gpu312 > "$($PY -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/zz-actfocus-verl.pth"
fi
# Installed (not only on PYTHONPATH) so that verl finds our loss through its entry point, as users get it.
$PY -m pip install -q --no-deps --no-build-isolation --no-index -e host 2>&1 | grep -v WARNING | tail -2
$PY -c "import verl, ray; print('verl', verl.__version__, 'ray', ray.__version__)" 2>&1 | tail -1 | tee -a "$OUT/gpu.txt"
timeout 400 $PY -m pytest -q -p no:cacheprovider -rA host/tests/verl > "$OUT/verl_tests.txt" 2>&1
grep -E "PASSED|FAILED|ERROR|passed|failed|^E " "$OUT/verl_tests.txt" | head -40
fi
echo "== done"
