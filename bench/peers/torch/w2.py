"""The W2 / W3 workloads (bench/w2-step.ts) in PyTorch + PEFT: one SafeKey step (SFT + QMM + DPSH, AdamW) on
random weights of SmolLM2-135M's or Qwen2.5-0.5B's shape, a batch of one sequence, gradient checkpointing on
the decoder layers (transformers' own), LoRA through PEFT. The loss is the companion package's (safekey_torch),
which the parity tests hold equal to this project's.

    python w2.py --workload w2-lora|w2-full|w3-lora [--threads 2] [--warmup 1] [--steps 3]

Writes one JSON line: "times" (seconds per timed step), "peak_mb" (the process's high-water mark).
"""
import argparse
import json
import time

import torch
from transformers import AutoModelForCausalLM, LlamaConfig, Qwen2Config

from safekey_torch.batch import make_batch
from safekey_torch.data import Sample
from safekey_torch.model import SafekeyModel, SafetyHead
from safekey_torch.optim import adamw

SMOL = dict(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9,
            num_key_value_heads=3, rms_norm_eps=1e-5, rope_theta=100000.0, max_position_embeddings=2048, tie_word_embeddings=True)
QWEN = dict(vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
            num_key_value_heads=2, rms_norm_eps=1e-6, rope_theta=1000000.0, max_position_embeddings=32768, tie_word_embeddings=True)
WORKLOADS = {"w2-lora": (LlamaConfig, SMOL, True, 1024), "w2-full": (LlamaConfig, SMOL, False, 512), "w3-lora": (Qwen2Config, QWEN, True, 512)}
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def peak_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workload", default="w2-lora", choices=sorted(WORKLOADS))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--steps", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    cls, shape, with_lora, tokens = WORKLOADS[a.workload]
    cfg = cls(**shape, attn_implementation="sdpa", use_cache=False)
    lm = AutoModelForCausalLM.from_config(cfg, dtype=torch.float32)
    lm.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if with_lora:
        from peft import LoraConfig, get_peft_model
        lm = get_peft_model(lm, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules=TARGETS, bias="none"))
    model = SafekeyModel(lm, SafetyHead(shape["hidden_size"]), "safekey", {"qmm": 0.2, "dpsh": 0.2}).train()
    opt = adamw(model.named_parameters(), (0.9, 0.95), 1e-8, 0.1)
    for g in opt.param_groups:
        g["lr"] = 1e-4
    gen = torch.Generator().manual_seed(1)
    ids = torch.randint(0, shape["vocab_size"], (tokens,), generator=gen).tolist()
    p, k0 = tokens // 8, tokens // 4
    batch = make_batch([Sample(tuple(ids), p, k0, k0 + 32, 1)])

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        out = model(batch, True)
        out["total"].backward()
        torch.nn.utils.clip_grad_norm_([q for q in model.parameters() if q.requires_grad], 1.0)
        opt.step()

    for _ in range(a.warmup):
        step()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    print(json.dumps({"times": times, "peak_mb": round(peak_mb(), 1), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
