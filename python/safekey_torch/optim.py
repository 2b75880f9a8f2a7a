"""AdamW with the TypeScript decay rule, the cosine schedule with warm-up and the run's length
(packages/safekey/src/optim/{adamw,schedule}.ts, train/loop.ts)."""
import math

import torch


def adamw(named_params, betas: tuple[float, float], eps: float, weight_decay: float) -> torch.optim.AdamW:
    """``torch.optim.AdamW`` (what adamw.ts reproduces) over the trainable tensors: those of rank >= 2 decay,
    vectors (norm weights, biases) do not."""
    decay, keep = [], []
    for _, p in named_params:
        if p.requires_grad:
            (decay if p.ndim >= 2 else keep).append(p)
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": keep, "weight_decay": 0.0}]
    return torch.optim.AdamW([g for g in groups if g["params"]], lr=0.0, betas=betas, eps=eps)


def js_round(x: float) -> int:
    """JavaScript's Math.round (halves go up), not Python's round (halves go to even)."""
    return math.floor(x + 0.5)


def run_length(n: int, batch_size: int, accumulation: int, epochs: int) -> tuple[int, int, int]:
    """Micro-batches per epoch, updates per epoch, updates in the run."""
    micro = math.ceil(n / batch_size)
    per_epoch = math.ceil(micro / accumulation)
    return micro, per_epoch, per_epoch * epochs


def cosine_lr(peak: float, warmup_steps: int, total_steps: int, min_ratio: float, step: int) -> float:
    """The rate of update ``step`` (0-based): linear warm-up from 0, then cosine to ``min_ratio`` of the peak,
    flat after ``total_steps``."""
    if step < warmup_steps:
        return peak * step / max(1, warmup_steps)
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return peak * (min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))
