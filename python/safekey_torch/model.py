"""The model a run trains: a Hugging Face causal LM (through transformers, with LoRA through PEFT when the
config asks) and the Dual-Path Safety Head, in one module whose forward is the SafeKey objective, so DDP and
FSDP see one forward and backward per micro-batch."""
import os

import torch
from torch import nn

from .losses import dpsh_loss, masked_nll
from .recipe import uses_dpsh, uses_qmm

# Masked scores are filled with a large finite value (docs/method.md): a row with nothing to attend to (a prompt
# row of the QMM pass) stays finite, and exp(fill - max) is exactly 0 for every other row.
MASK_FILL = -1e9


class SafetyHead(nn.Module):
    """Two ``Linear(D, 1)`` probes, stored apart from the model as ``safety_head.safetensors``."""

    def __init__(self, d: int):
        super().__init__()
        self.context = nn.Linear(d, 1)
        self.understanding = nn.Linear(d, 1)


def additive_mask(padding: torch.Tensor, key_mask: torch.Tensor | None, dtype: torch.dtype) -> torch.Tensor:
    """[B, 1, T, T]: 0 where query i may see key j (j <= i, a real token, not hidden by ``key_mask``), else MASK_FILL."""
    t = padding.shape[1]
    causal = torch.ones(t, t, dtype=torch.bool, device=padding.device).tril()
    visible = padding if key_mask is None else padding & ~key_mask
    allowed = causal.unsqueeze(0) & visible.unsqueeze(1)
    return torch.zeros(allowed.shape, dtype=dtype, device=padding.device).masked_fill(~allowed, MASK_FILL).unsqueeze(1)


class SafekeyModel(nn.Module):
    """``lm`` (a causal LM, or a PeftModel around one) and ``head``. ``forward`` returns the loss parts of a batch."""

    def __init__(self, lm: nn.Module, head: SafetyHead, arm: str, weights: dict):
        super().__init__()
        self.lm = lm
        self.head = head
        self.arm = arm
        self.weights = weights
        # what accelerate's FSDP wrapping looks for: the decoder layers to shard one by one, the embeddings
        self._no_split_modules = getattr(self.causal_lm, "_no_split_modules", None)

    @property
    def causal_lm(self) -> nn.Module:
        lm = self.lm
        return lm.get_base_model() if hasattr(lm, "get_base_model") else lm

    def get_input_embeddings(self):
        return self.causal_lm.get_input_embeddings()

    def get_output_embeddings(self):
        return self.causal_lm.get_output_embeddings()

    def run(self, ids: torch.Tensor, padding: torch.Tensor, key_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """One pass with position ids 0..T-1: (logits, final normed hidden states)."""
        lm = self.causal_lm
        embeds = lm.get_input_embeddings()(ids)
        b, t = ids.shape
        positions = torch.arange(t, device=ids.device).unsqueeze(0).expand(b, t)
        hidden = lm.get_decoder()(inputs_embeds=embeds, attention_mask=additive_mask(padding, key_mask, embeds.dtype),
                                  position_ids=positions, use_cache=False).last_hidden_state
        return lm.get_output_embeddings()(hidden), hidden

    def forward(self, batch: dict, extra: bool) -> dict[str, torch.Tensor]:
        logits, hidden = self.run(batch["ids"], batch["padding"])
        sft, sft_per = masked_nll(logits, batch["targets"], batch["response_targets"])
        out = {"sft": sft, "sft_per_sample": sft_per}
        total = sft
        if extra and uses_qmm(self.arm):
            if self.arm == "qmm-nomask":
                qlogits = logits
            else:
                lq = batch["key_targets"].shape[1] + 1  # the masked pass stops at the last K token
                qlogits, _ = self.run(batch["ids"][:, :lq], batch["padding"][:, :lq], batch["prompt_mask"][:, :lq])
            out["qmm"], out["qmm_per_sample"] = masked_nll(qlogits, batch["targets"], batch["key_targets"])
            total = total + self.weights["qmm"] * out["qmm"]
        d = dpsh_loss(hidden, self.head, batch)
        if extra and uses_dpsh(self.arm):
            out["dpsh"], out["dpsh_per_sample"] = d["batch"], d["per_sample"]
            out["dpsh_context"], out["dpsh_understanding"] = d["context"], d["understanding"]
            total = total + self.weights["dpsh"] * out["dpsh"]
        else:
            # The head takes part in every step with a zero gradient, as in the TypeScript trainer (where it then
            # still decays and its moments decay); DDP and FSDP also need every parameter in every backward.
            total = total + 0.0 * d["probes"]
        out["total"] = total
        return out


def load_causal_lm(start_dir: str | None, model_config: str | None, seed: int) -> nn.Module:
    """The model, float32, from a checkpoint directory (Hugging Face's layout, any architecture transformers knows)
    or freshly initialised from a config.json by transformers (seeded; not the TypeScript side's initialisation)."""
    from transformers import AutoConfig, AutoModelForCausalLM
    from transformers.utils import logging
    logging.disable_progress_bar()
    if start_dir is not None and os.path.exists(os.path.join(start_dir, "adapter_config.json")):
        # A LoRA checkpoint: its base model alone. Given the directory, transformers would fold the adapter in by
        # itself; attach_lora wraps the base in PEFT's model instead.
        from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING
        config = AutoConfig.from_pretrained(start_dir)
        return MODEL_FOR_CAUSAL_LM_MAPPING[type(config)].from_pretrained(
            None, config=config, state_dict=_base_weights(start_dir), dtype=torch.float32, attn_implementation="sdpa")
    if start_dir is not None:
        return AutoModelForCausalLM.from_pretrained(start_dir, dtype=torch.float32, attn_implementation="sdpa")
    config_dict, _ = AutoConfig.get_config_dict(model_config) if os.path.isdir(model_config) else (None, None)
    if config_dict is None:
        import json
        with open(model_config, encoding="utf-8") as f:
            config_dict = json.load(f)
    config = AutoConfig.for_model(**config_dict)
    torch.manual_seed(seed)
    return AutoModelForCausalLM.from_config(config, dtype=torch.float32, attn_implementation="sdpa")


def _base_weights(directory: str) -> dict[str, torch.Tensor]:
    """model.safetensors, or every shard that model.safetensors.index.json names."""
    import json
    from safetensors.torch import load_file
    index = os.path.join(directory, "model.safetensors.index.json")
    if not os.path.exists(index):
        return load_file(os.path.join(directory, "model.safetensors"))
    with open(index, encoding="utf-8") as f:
        shards = sorted(set(json.load(f)["weight_map"].values()))
    return {k: v for shard in shards for k, v in load_file(os.path.join(directory, shard)).items()}


def attach_lora(lm: nn.Module, lora, start_dir: str | None, seed: int) -> nn.Module:
    """LoRA through PEFT: the starting checkpoint's adapter when it has one (adapter_config.json), else a new one
    on the config's targets (A from PEFT's initialisation under ``seed``, B zero)."""
    from peft import LoraConfig, PeftModel, get_peft_model
    if start_dir is not None and os.path.exists(os.path.join(start_dir, "adapter_config.json")):
        return PeftModel.from_pretrained(lm, start_dir, is_trainable=True)
    torch.manual_seed(seed)
    return get_peft_model(lm, LoraConfig(r=lora.rank, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                                         target_modules=lora.modules, bias="none"))
