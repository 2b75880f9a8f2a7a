"""A right-padded batch and the masks the losses need (packages/safekey/src/losses/batch.ts ``makeBatch``)."""
import math

import numpy as np
import torch

from .data import Sample


def make_batch(samples: list[Sample], pad_multiple: int = 1, pad_id: int = 0) -> dict[str, torch.Tensor]:
    """Pads to the longest sample rounded up to ``pad_multiple``; the QMM targets cover the prefix of ``lq``
    positions that ends at the batch's last K token (rounded up the same way): the masked pass runs on it only."""
    b = len(samples)
    t = math.ceil(max(len(s.ids) for s in samples) / pad_multiple) * pad_multiple
    lq = min(t, math.ceil(max(s.key_end for s in samples) / pad_multiple) * pad_multiple)
    ids = np.full((b, t), pad_id, dtype=np.int64)
    padding = np.zeros((b, t), dtype=bool)
    prompt = np.zeros((b, t), dtype=bool)
    response_targets = np.zeros((b, t - 1), dtype=bool)
    key_targets = np.zeros((b, lq - 1), dtype=bool)
    understanding = np.zeros((b, t), dtype=np.float32)
    context = np.zeros((b, t), dtype=np.float32)
    for i, s in enumerate(samples):
        n = len(s.ids)
        ids[i, :n] = s.ids
        padding[i, :n] = True
        prompt[i, :s.prompt_end] = True
        # target j is token j + 1
        response_targets[i, s.prompt_end - 1:n - 1] = True
        key_targets[i, s.key_start - 1:s.key_end - 1] = True
        understanding[i, s.prompt_end:s.key_start] = 1
        context[i, :s.key_start] = 1
    as_t = torch.from_numpy
    return {
        "ids": as_t(ids), "padding": as_t(padding), "prompt_mask": as_t(prompt), "targets": as_t(ids[:, 1:].copy()),
        "response_targets": as_t(response_targets), "key_targets": as_t(key_targets),
        "understanding": as_t(understanding), "context": as_t(context),
        "harmful": torch.tensor([float(s.harmful) for s in samples], dtype=torch.float32),
    }
