"""Writes a run directory as ``safekey export`` lays it out (checkpoint/, data/train.jsonl, run.json), from a random
model of a given shape and random token samples, for runs on machines without this project's TypeScript side:

    python python/scripts/random_run.py --shape qwen2.5-0.5b --out DIR [--samples 64 --length 1024]

Shapes: ``tiny`` (a 2-layer Llama, seconds on a CPU) and ``qwen2.5-0.5b`` (Qwen2.5-0.5B's architecture and sizes:
24 layers, d 896, 14 heads, 2 KV heads, q/k/v biases, tied embeddings, vocabulary 151936; random weights)."""
import argparse
import json
import os
import random

import torch
from transformers import AutoModelForCausalLM, LlamaConfig, Qwen2Config

SHAPES = {
    "tiny": lambda: LlamaConfig(vocab_size=336, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                                num_key_value_heads=2, rms_norm_eps=1e-5, rope_theta=10000.0, max_position_embeddings=512,
                                tie_word_embeddings=True),
    "qwen2.5-0.5b": lambda: Qwen2Config(vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                                        num_attention_heads=14, num_key_value_heads=2, rms_norm_eps=1e-6, rope_theta=1000000.0,
                                        max_position_embeddings=32768, tie_word_embeddings=True, use_sliding_window=False),
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shape", choices=SHAPES, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--samples", type=int, default=64)
    p.add_argument("--length", type=int, default=1024, help="tokens per sample")
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--accumulation", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    rnd = random.Random(a.seed)
    config = SHAPES[a.shape]()
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    os.makedirs(os.path.join(a.out, "data"), exist_ok=True)
    model.save_pretrained(os.path.join(a.out, "checkpoint"))
    with open(os.path.join(a.out, "data", "train.jsonl"), "w", encoding="utf-8") as f:
        for _ in range(a.samples):
            n = a.length - rnd.randrange(0, a.length // 4)
            p_end = rnd.randrange(n // 8, n // 4)
            k0 = rnd.randrange(p_end + 1, n // 2)
            k1 = rnd.randrange(k0 + 1, min(n, k0 + 64) + 1)
            ids = [rnd.randrange(config.vocab_size) for _ in range(n)]
            f.write(json.dumps({"ids": ids, "promptEnd": p_end, "keyStart": k0, "keyEnd": k1, "harmful": rnd.randrange(2)}) + "\n")
    run = {"data": {"train": "data/train.jsonl"}, "model": {"checkpoint": "checkpoint"}, "arm": "safekey", "epochs": 1, "extraEpochs": 1,
           "batchSize": a.batch_size, "accumulation": a.accumulation, "lr": {"peak": 1e-5, "warmup": 0.05, "minRatio": 0.1}, "seed": a.seed,
           "out": "out", "maxLength": a.length}
    with open(os.path.join(a.out, "run.json"), "w", encoding="utf-8") as f:
        json.dump(run, f, indent=2)
    print(f"wrote {a.out}: {a.shape}, {sum(t.numel() for t in model.parameters())} parameters, {a.samples} samples of up to {a.length} tokens")


if __name__ == "__main__":
    main()
