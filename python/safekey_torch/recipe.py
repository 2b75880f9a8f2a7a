"""Defaults a run config may leave out: safekey's RECIPE (packages/safekey/src/train/recipe.ts) and the CLI's
TRAIN_RUN_DEFAULTS (packages/cli/src/train/trainConfig.ts). `safekey export` writes every one of them out."""

ARMS = ("sft", "safekey", "dpsh-only", "qmm-only", "qmm-nomask")

RECIPE = {
    "weights": {"qmm": 0.2, "dpsh": 0.2},
    "extraEpochs": 2,
    "betas": (0.9, 0.95),
    "eps": 1e-8,
    "weightDecay": 1e-4,
    "clip": 1.0,
    "warmup": 0.05,
    "minRatio": 0.1,
    "accumulation": 1,
}

RUN_DEFAULTS = {"maxLength": 256, "uSentences": 1}

# The batch is padded to a multiple of this (train/loop.ts), so the QMM prefix ends where the TypeScript one does.
PAD_MULTIPLE = 16


def uses_qmm(arm: str) -> bool:
    return arm in ("safekey", "qmm-only", "qmm-nomask")


def uses_dpsh(arm: str) -> bool:
    return arm in ("safekey", "dpsh-only")


def extra_losses_on(epoch: int, epochs: int, extra_epochs: int) -> bool:
    """The extra losses are on in the last ``extra_epochs`` epochs (0-based ``epoch``)."""
    return epoch >= epochs - extra_epochs
