#!/usr/bin/env python3
"""Random checkpoints shaped like SmolLM2-135M and Qwen2.5-0.5B, made by transformers, with transformers' own
figures for each: load time, peak RSS, greedy ids and generation speed (tokens/s). Not part of CI.

  python make_shaped.py OUT            # writes OUT/smollm2-135m, OUT/qwen2.5-0.5b (about 1.3 GB)
  python make_shaped.py OUT --measure DIR   # (internal) loads DIR in a fresh process and writes DIR/hf.json

Tokenizers are the fixture tokenizers of the same kind (test/fixtures/hf/tokenizers), so the embedding has more
rows than tokens, as in the real models.
"""
import argparse, json, resource, shutil, subprocess, sys, time
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, Qwen2Config

FIXTURES = Path(__file__).resolve().parents[2] / "test" / "fixtures" / "hf" / "tokenizers"
PROMPT = "How do I bake bread at home? Explain the steps."
NEW_TOKENS = 64

SHAPES = {
    # HuggingFaceTB/SmolLM2-135M-Instruct's config.json sizes
    "smollm2-135m": ("smollm2", LlamaConfig(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                     num_attention_heads=9, num_key_value_heads=3, max_position_embeddings=8192, rms_norm_eps=1e-5,
                     rope_theta=100000.0, tie_word_embeddings=True, bos_token_id=1, eos_token_id=2)),
    # Qwen/Qwen2.5-0.5B-Instruct's
    "qwen2.5-0.5b": ("qwen2", Qwen2Config(vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                     num_attention_heads=14, num_key_value_heads=2, max_position_embeddings=32768, rms_norm_eps=1e-6,
                     rope_theta=1000000.0, tie_word_embeddings=True, use_sliding_window=False, bos_token_id=None, eos_token_id=None)),
}


def make(out: Path) -> None:
    for name, (kind, config) in SHAPES.items():
        d = out / name
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
        for f in (FIXTURES / kind).iterdir():
            shutil.copy(f, d / f.name)
        tok = AutoTokenizer.from_pretrained(str(d))
        config.eos_token_id = tok.eos_token_id
        torch.manual_seed(0)
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32).to(torch.bfloat16)
        model.generation_config.eos_token_id = [tok.eos_token_id]
        model.save_pretrained(str(d))  # BF16, as the real ones ship
        print(name, sum(p.numel() for p in model.parameters()), "parameters", flush=True)
        subprocess.run([sys.executable, __file__, str(out), "--measure", str(d)], check=True)


def measure(d: Path) -> None:
    torch.set_num_threads(2)
    t0 = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(str(d), dtype=torch.float32).eval()
    tok = AutoTokenizer.from_pretrained(str(d))
    load = time.perf_counter() - t0
    rss_load = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ids = tok.apply_chat_template([{"role": "user", "content": PROMPT}], add_generation_prompt=True, tokenize=True)["input_ids"]
    x = torch.tensor([ids])
    eos = model.generation_config.eos_token_id
    with torch.no_grad():
        model.generate(x, attention_mask=torch.ones_like(x), max_new_tokens=4, do_sample=False, pad_token_id=eos[0])  # warm-up
        t0 = time.perf_counter()
        out = model.generate(x, attention_mask=torch.ones_like(x), max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS,
                             do_sample=False, pad_token_id=eos[0], output_scores=True, return_dict_in_generate=True)
        secs = time.perf_counter() - t0
    gen = out.sequences[0, len(ids):].tolist()
    gaps = [float(torch.topk(s[0], 2).values[0] - torch.topk(s[0], 2).values[1]) for s in out.scores]
    result = {"prompt_ids": ids, "greedy_ids": gen, "min_gap": min(gaps), "load_s": load, "peak_rss_mb_after_load": rss_load,
              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "tokens_per_s": len(gen) / secs,
              "threads": torch.get_num_threads(), "torch": torch.__version__}
    (d / "hf.json").write_text(json.dumps(result, indent=1))
    print(d.name, {k: v for k, v in result.items() if k not in ("prompt_ids", "greedy_ids")}, flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--measure", type=Path)
    a = ap.parse_args()
    measure(a.measure) if a.measure else make(a.out)
