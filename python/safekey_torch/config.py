"""The training config JSON of ``safekey train --config`` (packages/cli/src/train/trainConfig.ts), checked field by
field with the same rules, plus the ``lora`` section. Paths are relative to the config file."""
import json
import math
import os
from dataclasses import dataclass, field

from .errors import SafekeyError
from .recipe import ARMS, RECIPE, RUN_DEFAULTS

LORA_TARGETS = {"q": "q_proj", "k": "k_proj", "v": "v_proj", "o": "o_proj", "gate": "gate_proj", "up": "up_proj", "down": "down_proj"}


@dataclass(frozen=True)
class Lora:
    rank: int
    alpha: float
    dropout: float
    targets: tuple[str, ...]

    @property
    def modules(self) -> list[str]:
        """The Hugging Face module names of the targets, for PEFT's ``target_modules``."""
        return [LORA_TARGETS[t] for t in self.targets]


@dataclass(frozen=True)
class RunConfig:
    file: str
    train: tuple[str, ...]           # data files, absolute
    checkpoint: str | None           # the starting checkpoint directory, absolute
    model_config: str | None         # or a config.json for a fresh model
    tokenizer: str | None
    arm: str
    epochs: int
    batch_size: int
    peak_lr: float
    warmup: float
    min_ratio: float
    seed: int
    out: str
    weights: dict = field(default_factory=lambda: dict(RECIPE["weights"]))
    extra_epochs: int = RECIPE["extraEpochs"]
    accumulation: int = RECIPE["accumulation"]
    weight_decay: float = RECIPE["weightDecay"]
    betas: tuple[float, float] = RECIPE["betas"]
    eps: float = RECIPE["eps"]
    clip: float = RECIPE["clip"]
    max_length: int = RUN_DEFAULTS["maxLength"]
    u_sentences: int = RUN_DEFAULTS["uSentences"]
    lora: Lora | None = None


def _fail(file: str, path: str, what: str, got) -> SafekeyError:
    return SafekeyError(f"{file}: field '{path}': expected {what}, got {json.dumps(got)}")


def _is_num(u) -> bool:
    return isinstance(u, (int, float)) and not isinstance(u, bool) and math.isfinite(u)


def _is_int(u) -> bool:
    return _is_num(u) and float(u).is_integer()


def load_config(file: str) -> RunConfig:
    """Reads and checks a run config; every problem is a SafekeyError naming the file and the field."""
    try:
        with open(file, encoding="utf-8") as f:
            raw = json.load(f)
    except (OSError, ValueError) as e:
        raise SafekeyError(f"{file}: {e}") from None
    if not isinstance(raw, dict):
        raise SafekeyError(f"{file}: expected a JSON object")
    base = os.path.dirname(os.path.abspath(file))
    at = lambda p: os.path.normpath(os.path.join(base, p))

    def get(path: str, check, what: str, default=None, required=True):
        node = raw
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                if required:
                    raise SafekeyError(f"{file}: field '{path}': missing")
                return default
            node = node[part]
        if not check(node):
            raise _fail(file, path, what, node)
        return node

    pos_int = lambda u: _is_int(u) and u > 0
    nonneg_int = lambda u: _is_int(u) and u >= 0
    fraction = lambda u: _is_num(u) and 0 <= u <= 1
    string = lambda u: isinstance(u, str)

    train = get("data.train", lambda u: isinstance(u, str) or (isinstance(u, list) and all(isinstance(x, str) for x in u)), "a string or a list of strings")
    model = get("model", lambda u: isinstance(u, dict) and (isinstance(u.get("config"), str) or isinstance(u.get("checkpoint"), str)),
                "{ config: string } or { checkpoint: string }")
    arm = get("arm", lambda u: u in ARMS, f"one of {' | '.join(ARMS)}")
    weights = get("weights", lambda u: isinstance(u, dict) and _is_num(u.get("qmm")) and _is_num(u.get("dpsh")), "{ qmm: number, dpsh: number }",
                  RECIPE["weights"], required=False)
    betas = get("betas", lambda u: isinstance(u, list) and len(u) == 2 and all(fraction(b) for b in u), "[number in [0, 1], number in [0, 1]]",
                list(RECIPE["betas"]), required=False)
    lora = get("lora", lambda u: isinstance(u, dict), "an object", None, required=False)
    get("backend", lambda u: u in ("reference", "cpu", "gpujs"), "reference | cpu | gpujs", None, required=False)  # the TypeScript side's; checked, unused here
    return RunConfig(
        file=os.path.abspath(file),
        train=tuple(at(p) for p in ([train] if isinstance(train, str) else train)),
        checkpoint=at(model["checkpoint"]) if isinstance(model.get("checkpoint"), str) else None,
        model_config=None if isinstance(model.get("checkpoint"), str) else at(model["config"]),
        tokenizer=(lambda t: at(t) if t is not None else None)(get("tokenizer", string, "a string", None, required=False)),
        arm=arm,
        epochs=int(get("epochs", pos_int, "a positive integer")),
        batch_size=int(get("batchSize", pos_int, "a positive integer")),
        peak_lr=float(get("lr.peak", lambda u: _is_num(u) and u > 0, "a positive number")),
        warmup=float(get("lr.warmup", fraction, "a number in [0, 1]", RECIPE["warmup"], required=False)),
        min_ratio=float(get("lr.minRatio", fraction, "a number in [0, 1]", RECIPE["minRatio"], required=False)),
        seed=int(get("seed", nonneg_int, "a non-negative integer")),
        out=at(get("out", string, "a string")),
        weights={"qmm": float(weights["qmm"]), "dpsh": float(weights["dpsh"])},
        extra_epochs=int(get("extraEpochs", nonneg_int, "a non-negative integer", RECIPE["extraEpochs"], required=False)),
        accumulation=int(get("accumulation", pos_int, "a positive integer", RECIPE["accumulation"], required=False)),
        weight_decay=float(get("weightDecay", _is_num, "a number", RECIPE["weightDecay"], required=False)),
        betas=(float(betas[0]), float(betas[1])),
        clip=float(get("clip", lambda u: _is_num(u) and u > 0, "a positive number", RECIPE["clip"], required=False)),
        max_length=int(get("maxLength", pos_int, "a positive integer", RUN_DEFAULTS["maxLength"], required=False)),
        u_sentences=int(get("uSentences", pos_int, "a positive integer", RUN_DEFAULTS["uSentences"], required=False)),
        lora=None if lora is None else Lora(
            rank=int(get("lora.rank", pos_int, "a positive integer")),
            alpha=float(get("lora.alpha", lambda u: _is_num(u) and u > 0, "a positive number")),
            dropout=float(get("lora.dropout", lambda u: _is_num(u) and 0 <= u < 1, "a number in [0, 1)", 0.0, required=False)),
            targets=tuple(get("lora.targets", lambda u: isinstance(u, list) and len(u) > 0 and all(t in LORA_TARGETS for t in u),
                              f"a non-empty list of {' | '.join(LORA_TARGETS)}")),
        ),
    )
