#!/usr/bin/env bash
# One GPU, two checks, for a machine with an NVIDIA GPU and PyTorch, transformers, accelerate and peft installed
# (nothing else: the package runs from this tree through PYTHONPATH; no TypeScript side, no network):
#   1. the FSDP path (python/configs/fsdp.yaml, 1 process, float32) on a tiny random Llama gives the parameters of
#      a plain single-process run to 1e-5;
#   2. the FSDP config as it is (bf16) on a Qwen2.5-0.5B-shaped random checkpoint, SafeKey losses on, a few dozen
#      updates: tokens/s over the updates after the first two, and peak GPU memory.
#   bash python/scripts/gpu_run.sh [WORK_DIR]      (logs and metrics also go to $OUT when it is set)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="${1:-/tmp/safekey-gpu}"
out="${OUT:-$work/out}"
mkdir -p "$work" "$out"
export PYTHONPATH="$repo/python${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1
py="${PYTHON:-python3}"
accelerate_launch() { "$py" -m accelerate.commands.launch --config_file "$repo/python/configs/fsdp.yaml" --num_processes 1 "$@"; }

"$py" - <<'PY'
import accelerate, peft, torch, transformers
gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
print(f"torch {torch.__version__}, transformers {transformers.__version__}, accelerate {accelerate.__version__}, peft {peft.__version__}; {gpu}")
PY

echo "== 1. FSDP (1 GPU, float32) vs one plain process, tiny random Llama"
rm -rf "$work/tiny"
"$py" "$repo/python/scripts/random_run.py" --shape tiny --out "$work/tiny" --samples 24 --length 96 --batch-size 2 --accumulation 3
"$py" -c "import json; c = json.load(open('$work/tiny/run.json')); c['out'] = 'out-fsdp'; json.dump(c, open('$work/tiny/run-fsdp.json', 'w'))"
"$py" -m safekey_torch.train --config "$work/tiny/run.json" 2>&1 | tail -n 2
accelerate_launch --mixed_precision no -m safekey_torch.train --config "$work/tiny/run-fsdp.json" 2>&1 | grep -E "^(update [0-9]+/|trained|[0-9]+ samples)" | tail -n 3
"$py" "$repo/python/scripts/compare_checkpoints.py" "$work/tiny/out/checkpoint" "$work/tiny/out-fsdp/checkpoint" --tolerance 1e-5 | tee "$out/fsdp-parity.txt"

echo "== 2. FSDP config as it is (bf16), Qwen2.5-0.5B-shaped random checkpoint"
rm -rf "$work/qwen"
"$py" "$repo/python/scripts/random_run.py" --shape qwen2.5-0.5b --out "$work/qwen" --samples 256 --length 1024 --batch-size 4 --accumulation 2
accelerate_launch -m safekey_torch.train --config "$work/qwen/run.json" 2>&1 | tee "$out/qwen-train.log" | grep -E "^(update [0-9]+/|trained|[0-9]+ samples)"
cp "$work/qwen/out/metrics.jsonl" "$out/qwen-metrics.jsonl"
"$py" - "$work/qwen/out/metrics.jsonl" <<'PY' | tee "$out/qwen-throughput.txt"
import json, sys
m = [json.loads(l) for l in open(sys.argv[1])]
steady = m[2:] if len(m) > 4 else m
tok, sec = sum(x["tokens"] for x in steady), sum(x["seconds"] for x in steady)
print(f"{len(m)} updates; tokens/s over updates 3-{len(m)}: {tok / sec:.0f} ({tok} tokens in {sec:.2f} s); "
      f"first update {m[0]['seconds']:.2f} s; loss {m[0]['total']:.4f} -> {m[-1]['total']:.4f}")
PY
