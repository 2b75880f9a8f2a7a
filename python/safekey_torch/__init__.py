"""SafeKey on PyTorch: the objective, data, schedule and checkpoints of safekey-ts, for FSDP/DDP runs.

Entry points: ``python -m safekey_torch.train --config run.json`` (under ``accelerate launch`` or ``torchrun``
for several processes) and ``python -m safekey_torch.loss --checkpoint DIR --data FILE``.
"""
