#!/usr/bin/env python3
"""Loads the checkpoints write_trained.ts wrote with transformers (AutoModelForCausalLM, AutoTokenizer,
apply_chat_template) and compares with what the project computed: prompt ids equal, logits close. Not part of CI.

  python check_trained.py OUT
"""
import json, sys
from pathlib import Path

import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer

out = Path(sys.argv[1])
ok = True
for name in ("r1-trained", "own-trained"):
    exp = json.loads((out / f"{name}.expected.json").read_text())
    d = exp["dir"]
    files = sorted(p.name for p in Path(d).iterdir())
    cfg = json.loads((Path(d) / "config.json").read_text())
    model = AutoModelForCausalLM.from_pretrained(d)  # as the files say: torch_dtype bfloat16
    tok = AutoTokenizer.from_pretrained(d)
    print(f"{name}: {type(model).__name__} loaded in {model.dtype} from {len([f for f in files if f.startswith('model-')])} shards; tokenizer {type(tok).__name__}; files {files}")
    for p in exp["prompts"]:
        text = tok.apply_chat_template([{"role": "user", "content": p["content"]}], add_generation_prompt=True, tokenize=False)
        ids = tok.apply_chat_template([{"role": "user", "content": p["content"]}], add_generation_prompt=True, tokenize=True)["input_ids"]
        same = ids == p["prompt_ids"] and text == p["text"]
        ok &= same
        print(f"  apply_chat_template({p['content']!r}): {len(ids)} ids, equal to the project's: {same}")
    model = model.to(torch.float32).eval()  # the project computes in float32 from the BF16 weights
    with torch.no_grad():
        logits = model(torch.tensor([exp["logits_ids"]])).logits[0]
    ours = load_file(str(out / f"{name}.logits.safetensors"))["logits"][0]
    diff = float((logits - ours).abs().max())
    ok &= diff < 1e-4
    print(f"  logits over the first prompt ({len(exp['logits_ids'])} positions x {logits.shape[1]}): max |difference| {diff:.2e}; eos_token_id {cfg.get('eos_token_id')}, torch_dtype {cfg.get('torch_dtype')}")
print("all equal" if ok else "DIFFERENCES")
sys.exit(0 if ok else 1)
