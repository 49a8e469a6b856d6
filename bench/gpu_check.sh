#!/usr/bin/env bash
# The GPU checks of a device session (docs/method.md "Precision", issue 20), in one command:
#   1. the device-parametrised suite (tests/test_device.py), whose CUDA half runs only on a GPU;
#   2. a randomly initialised Qwen2 of the 0.5B configuration: our sampler against Hugging Face generate
#      on the same batch, then a short GRPO+ActFocus run at the paper's batch in bf16 through the CLI;
#   3. the gpu profile's throughput part (bench/repro/throughput.py).
# Results go to $OUT (default /tmp/gpu-check). Every part has its own time limit, so one hang costs only it.
set -u
OUT=${OUT:-/tmp/gpu-check}
mkdir -p "$OUT"
export PYTHONPATH="$PWD/host" PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
PY=${PY:-python3}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUT/gpu.txt"
$PY -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__)" | tee -a "$OUT/gpu.txt"

echo "== 1. device suite"
(cd host && timeout 240 $PY -m pytest -q -p no:cacheprovider -rA tests/test_device.py 2>&1) > "$OUT/device_tests.txt"
grep -E "PASSED|FAILED|ERROR|passed|failed|^E " "$OUT/device_tests.txt" | head -60

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

echo "== 3. gpu profile, throughput part"
timeout 300 $PY bench/repro/suite.py throughput --profile gpu --out "$OUT/throughput" 2>&1 | grep -v "it/s" | tail -6
echo "== done"
