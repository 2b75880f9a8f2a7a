"""The three SafeKey losses of a batch (packages/safekey/src/losses/losses.ts), in float32."""
import torch
import torch.nn.functional as F


def masked_nll(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean NLL over the masked targets: for the batch (over all counted tokens) and per sample. ``mask`` may cover
    a prefix of the targets; the logits must cover it."""
    w = mask.shape[1]
    lp = logits[:, :w].float()
    nll = F.cross_entropy(lp.reshape(-1, lp.shape[-1]), targets[:, :w].reshape(-1), reduction="none").view(mask.shape)
    m = mask.to(nll.dtype)
    picked = nll * m
    counts = m.sum(1)
    return picked.sum() / counts.sum().clamp(min=1), picked.sum(1) / counts.clamp(min=1)


def span_mean(hidden: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Mean of ``hidden`` [B, T, D] over the positions weighted 1 in ``weights`` [B, T]."""
    w = weights.unsqueeze(-1).to(hidden.dtype)
    return (hidden * w).sum(1) / w.sum(1).clamp(min=1)


def dpsh_loss(hidden: torch.Tensor, head, batch: dict) -> dict[str, torch.Tensor]:
    """BCE of the understanding head (mean over U) and the context head (mean over prompt and U), half each."""
    h = hidden.float()
    probe = lambda linear, weights: linear(span_mean(h, weights).to(linear.weight.dtype)).squeeze(-1).float()  # bf16 heads under FSDP
    u_logit = probe(head.understanding, batch["understanding"])
    c_logit = probe(head.context, batch["context"])
    understanding = F.binary_cross_entropy_with_logits(u_logit, batch["harmful"], reduction="none")
    context = F.binary_cross_entropy_with_logits(c_logit, batch["harmful"], reduction="none")
    per = 0.5 * understanding + 0.5 * context
    return {"batch": per.mean(), "per_sample": per, "context": context, "understanding": understanding, "probes": u_logit.sum() + c_logit.sum()}
