"""Checkpoint directories in the TypeScript side's layout (packages/hf/src/checkpoint): config.json,
model.safetensors (Hugging Face names, F32), tokenizer.json and tokenizer_config.json, safety_head.safetensors,
optimizer.safetensors (``opt.m.<name>``, ``opt.v.<name>``, ``opt.step``) and trainer_state.json; with LoRA the
base model's files as they were plus PEFT's adapter_config.json and adapter_model.safetensors."""
import json
import os
import shutil
import uuid

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from . import rng
from .errors import SafekeyError
from .model import SafetyHead

HEAD_FILE = "safety_head.safetensors"
MODEL_FILE = "model.safetensors"
OPTIMIZER_FILE = "optimizer.safetensors"
TRAINER_FILE = "trainer_state.json"
METADATA = {"format": "pt"}
# Files that travel with a model unchanged: its config, generation settings, tokenizer and chat template.
COPIED = ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja")
BASE_WEIGHTS = ("model.safetensors", "model.safetensors.index.json")


def head_init(seed: int, d: int, fresh_model: bool) -> dict[str, np.ndarray]:
    """The TypeScript trainer's new head: normal(0, 0.02) weights from core's RNG, zero biases. Its key is
    ``split(key(seed))[1]`` for a fresh model and ``foldIn(key(seed), 1)`` when starting from a checkpoint."""
    k = rng.split(rng.key(seed), 2)[1] if fresh_model else rng.fold_in(rng.key(seed), 1)
    a, b = rng.split(k, 2)
    zero = np.zeros((1,), dtype=np.float32)
    return {"context.weight": rng.normal(a, (1, d), 0.02), "context.bias": zero,
            "understanding.weight": rng.normal(b, (1, d), 0.02), "understanding.bias": zero.copy()}


def load_head(directory: str | None, d: int, seed: int, fresh_model: bool) -> SafetyHead:
    """The head of ``directory`` when it has one (shapes checked), else a new one as the TypeScript trainer makes it."""
    head = SafetyHead(d)
    path = os.path.join(directory, HEAD_FILE) if directory else None
    if path and os.path.exists(path):
        stored = load_file(path)
        tensors = {}
        for name, want in (("context.weight", (1, d)), ("context.bias", (1,)), ("understanding.weight", (1, d)), ("understanding.bias", (1,))):
            t = stored.get(f"safety_head.{name}")
            if t is None:
                raise SafekeyError(f"{path}: tensor 'safety_head.{name}': missing")
            if tuple(t.shape) != want:
                raise SafekeyError(f"{path}: tensor 'safety_head.{name}': shape {list(t.shape)}, expected {list(want)}")
            tensors[name] = t.float()
    else:
        tensors = {k: torch.from_numpy(v) for k, v in head_init(seed, d, fresh_model).items()}
    head.load_state_dict(tensors)
    return head


def write_dir_atomic(target: str, fill) -> None:
    """``fill(tmp)`` writes the files into a temp directory beside ``target``, which then replaces ``target``. An
    existing ``target`` is replaced only when it is a checkpoint directory (has config.json) or empty."""
    target = os.path.abspath(target)
    parent, base = os.path.dirname(target), os.path.basename(target)
    os.makedirs(parent, exist_ok=True)
    existing = os.path.exists(target)
    if existing:
        if not os.path.isdir(target):
            raise SafekeyError(f"{target}: exists and is not a directory")
        names = os.listdir(target)
        if names and "config.json" not in names:
            raise SafekeyError(f"{target}: exists and is not a checkpoint directory: refusing to replace it")
    tag = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp, old = os.path.join(parent, f".{base}.tmp-{tag}"), os.path.join(parent, f".{base}.old-{tag}")
    os.mkdir(tmp)
    try:
        fill(tmp)
        if existing:
            os.rename(target, old)
        try:
            os.rename(tmp, target)
        except OSError:
            if existing:
                os.rename(old, target)
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if existing:
        shutil.rmtree(old, ignore_errors=True)


def _f32(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", torch.float32).contiguous() for k, v in tensors.items()}


def save_checkpoint(target: str, *, sources: dict[str, str], model_tensors: dict[str, torch.Tensor] | None,
                    adapter: tuple[dict[str, torch.Tensor], object] | None, head_tensors: dict[str, torch.Tensor],
                    optimizer_tensors: dict[str, torch.Tensor], trainer: dict) -> None:
    """Writes a checkpoint atomically. ``sources`` maps each copied file name to the file it comes from;
    ``model_tensors`` are the full model's tensors under Hugging Face names (None with LoRA, whose base weights
    are copied from ``sources``); ``adapter`` is (PEFT's adapter tensors, its LoraConfig)."""
    def fill(tmp: str) -> None:
        for name, src in sources.items():
            shutil.copyfile(src, os.path.join(tmp, name))
        if model_tensors is not None:
            save_file(_f32(model_tensors), os.path.join(tmp, MODEL_FILE), metadata=METADATA)
        if adapter is not None:
            tensors, lora_config = adapter
            save_file(_f32(tensors), os.path.join(tmp, "adapter_model.safetensors"), metadata=METADATA)
            lora_config.save_pretrained(tmp)
        save_file(_f32({f"safety_head.{k}": v for k, v in head_tensors.items()}), os.path.join(tmp, HEAD_FILE), metadata=METADATA)
        opt = _f32(optimizer_tensors)
        opt["opt.step"] = torch.tensor(trainer["step"], dtype=torch.int32)
        save_file(opt, os.path.join(tmp, OPTIMIZER_FILE), metadata=METADATA)
        with open(os.path.join(tmp, TRAINER_FILE), "w", encoding="utf-8") as f:
            f.write(json.dumps(trainer, indent=2) + "\n")
    write_dir_atomic(target, fill)


def source_files(start_dir: str | None, model_config: str | None, tokenizer_file: str | None, lora: bool) -> dict[str, str]:
    """What a checkpoint of this run copies: the starting checkpoint's config, generation config, tokenizer and
    chat template (the run's tokenizer file and the tokenizer_config.json beside it take precedence), and with
    LoRA the base weights."""
    out: dict[str, str] = {}
    if start_dir is not None:
        for name in COPIED + (BASE_WEIGHTS if lora else ()):
            if os.path.exists(os.path.join(start_dir, name)):
                out[name] = os.path.join(start_dir, name)
        if lora:
            index = os.path.join(start_dir, "model.safetensors.index.json")
            if os.path.exists(index):
                with open(index, encoding="utf-8") as f:
                    for shard in set(json.load(f)["weight_map"].values()):
                        out[shard] = os.path.join(start_dir, shard)
    else:
        out["config.json"] = model_config
    if tokenizer_file is not None:
        out["tokenizer.json"] = tokenizer_file
        beside = os.path.join(os.path.dirname(tokenizer_file), "tokenizer_config.json")
        if os.path.exists(beside):
            out["tokenizer_config.json"] = beside
    return out
