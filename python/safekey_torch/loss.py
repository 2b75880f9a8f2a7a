"""``python -m safekey_torch.loss --checkpoint DIR --data FILE``: per-sample SafeKey losses of a checkpoint on a
data file, one JSON line per sample, as ``safekey loss --json`` prints them (each sample on its own, arm
``safekey``), so the two implementations can be compared number for number."""
import argparse
import json
import os
import sys

import torch

from .batch import make_batch
from .checkpoint import HEAD_FILE, load_head
from .data import Sample, read_samples
from .encode import encode_samples, load_encoder
from .errors import SafekeyError
from .model import SafekeyModel, attach_lora, load_causal_lm
from .recipe import RECIPE


def losses(checkpoint: str, data: str, max_length: int = 1024):
    """Yields one dict per trainable sample (ids, spans, sft, qmm, dpsh) and reports skipped ones on stderr."""
    if not os.path.exists(os.path.join(checkpoint, HEAD_FILE)):
        raise SafekeyError(f"{checkpoint}: no {HEAD_FILE}, so dpsh cannot be computed")
    raw = read_samples(data)
    enc = load_encoder(os.path.join(checkpoint, "tokenizer.json")) if any(not isinstance(s, Sample) for s in raw) else None
    samples, skipped = encode_samples(enc, raw, max_length, 1)
    for where, reason in skipped:
        print(f"{where}: skipped: {reason}", file=sys.stderr)
    lm = load_causal_lm(checkpoint, None, 0)
    head = load_head(checkpoint, lm.config.hidden_size, 0, fresh_model=False)
    if os.path.exists(os.path.join(checkpoint, "adapter_config.json")):
        lm = attach_lora(lm, None, checkpoint, 0)
    model = SafekeyModel(lm, head, "safekey", RECIPE["weights"]).eval()
    with torch.no_grad():
        for s in samples:
            out = model(make_batch([s]), extra=True)
            yield {"ids": list(s.ids), "promptEnd": s.prompt_end, "keyStart": s.key_start, "keyEnd": s.key_end, "harmful": s.harmful,
                   "sft": out["sft_per_sample"][0].item(), "qmm": out["qmm_per_sample"][0].item(), "dpsh": out["dpsh_per_sample"][0].item()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m safekey_torch.loss", description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", required=True, help="a checkpoint directory")
    p.add_argument("--data", required=True, help="a JSONL data file")
    p.add_argument("--max-length", type=int, default=1024, help="longest sequence kept (default 1024)")
    a = p.parse_args(argv)
    try:
        for row in losses(a.checkpoint, a.data, a.max_length):
            print(json.dumps(row))
    except SafekeyError as e:
        print(f"safekey_torch.loss: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
