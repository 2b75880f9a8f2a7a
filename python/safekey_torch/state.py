"""Full (gathered) model and optimizer state of a run, under the checkpoint's tensor names, and back. Works on a
plain module and on one that DDP or FSDP wraps (torch.distributed.checkpoint's state-dict helpers)."""
import torch
from torch.distributed.checkpoint.state_dict import (StateDictOptions, get_model_state_dict, get_optimizer_state_dict,
                                                     set_optimizer_state_dict)

FULL = StateDictOptions(full_state_dict=True, cpu_offload=True)


def checkpoint_name(fqn: str) -> str:
    """``lm.<name>`` is the model's tensor ``<name>``; ``head.<name>`` is ``safety_head.<name>``. Names are unique."""
    if fqn.startswith("lm."):
        # LoRA tensors under the names of PEFT's adapter file (without the adapter's name, "default")
        return fqn[3:].replace(".lora_A.default.", ".lora_A.").replace(".lora_B.default.", ".lora_B.")
    if fqn.startswith("head."):
        return "safety_head." + fqn[5:]
    raise ValueError(f"unexpected parameter {fqn}")


def gather_model(model) -> dict[str, torch.Tensor]:
    """Every tensor of the model and head, full, on the CPU of rank 0 (empty elsewhere). Collective."""
    return get_model_state_dict(model, options=FULL)


def gather_optimizer(model, optimizer) -> dict[str, torch.Tensor]:
    """AdamW's moments as ``opt.m.<name>`` and ``opt.v.<name>`` on rank 0 (empty elsewhere). Collective."""
    osd = get_optimizer_state_dict(model, optimizer, options=FULL)
    out = {}
    for fqn, s in osd.get("state", {}).items():  # empty on ranks other than 0
        name = checkpoint_name(fqn)
        out[f"opt.m.{name}"] = s["exp_avg"]
        out[f"opt.v.{name}"] = s["exp_avg_sq"]
    return out


def restore_optimizer(model, optimizer, tensors: dict[str, torch.Tensor], step: int, file: str) -> None:
    """Sets AdamW's moments and step count from a checkpoint's ``optimizer.safetensors`` (every rank reads it)."""
    from .errors import SafekeyError
    osd = get_optimizer_state_dict(model, optimizer, options=StateDictOptions(full_state_dict=True))
    state = {}
    for group in osd["param_groups"]:
        for fqn in group["params"]:
            name = checkpoint_name(fqn)
            m, v = tensors.get(f"opt.m.{name}"), tensors.get(f"opt.v.{name}")
            if m is None or v is None:
                raise SafekeyError(f"{file}: tensor 'opt.m.{name}' or 'opt.v.{name}': missing")
            state[fqn] = {"step": torch.tensor(float(step)), "exp_avg": m.float(), "exp_avg_sq": v.float()}
    set_optimizer_state_dict(model, optimizer, {"state": state, "param_groups": osd["param_groups"]},
                             options=StateDictOptions(full_state_dict=True))
