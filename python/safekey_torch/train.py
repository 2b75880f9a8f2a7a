"""``python -m safekey_torch.train --config run.json [--resume]``: the run ``safekey train`` would make, on
PyTorch. One process, or several under ``torchrun`` / ``accelerate launch`` (DDP, or FSDP with the accelerate
config in python/configs/fsdp.yaml).

With several processes the micro-batches of each update are dealt out round-robin: an update still averages the
gradients of ``accumulation`` micro-batches of ``batchSize`` samples, each loss a mean over its own micro-batch, so
any number of processes gives the update one process would (a process with no micro-batch left in a short final
group runs one with weight 0, keeping the collectives in step)."""
import argparse
import contextlib
import json
import math
import os
import sys
import resource
import time

import torch

from .checkpoint import load_head, save_checkpoint, source_files
from .config import load_config
from .data import Sample, read_samples
from .encode import encode_samples, load_encoder
from .errors import SafekeyError
from .model import SafekeyModel, attach_lora, load_causal_lm
from .batch import make_batch
from .optim import adamw, cosine_lr, js_round, run_length
from .recipe import PAD_MULTIPLE, extra_losses_on
from .rng import epoch_order
from .state import checkpoint_name, gather_model, gather_optimizer, restore_optimizer



def memory_now() -> dict:
    """As the TypeScript trainer's metrics: peak RSS (bytes), and on a GPU the allocator's live and peak bytes
    (torch's CPU allocator keeps no such count, so on the CPU they are left out)."""
    m = {"peakRss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}
    if torch.cuda.is_available():
        m.update({"liveBytes": torch.cuda.memory_allocated(), "peakBytes": torch.cuda.max_memory_allocated()})
    return m

def _tokenizer_file(cfg, start_dir: str | None) -> str | None:
    if cfg.tokenizer is not None:
        return cfg.tokenizer
    if start_dir is not None and os.path.exists(os.path.join(start_dir, "tokenizer.json")):
        return os.path.join(start_dir, "tokenizer.json")
    return None


def _keep_metrics_up_to(file: str, step: int) -> None:
    lines = []
    if os.path.exists(file):
        with open(file, encoding="utf-8") as f:
            lines = [l for l in f.read().split("\n") if l.strip() and json.loads(l)["step"] <= step]
    with open(file, "w", encoding="utf-8") as f:
        f.write("".join(l + "\n" for l in lines))


def train(config_file: str, resume: bool = False, log=lambda line: print(line, file=sys.stderr)) -> dict:
    from accelerate import Accelerator

    cfg = load_config(config_file)
    acc = Accelerator(cpu=not torch.cuda.is_available())
    say = (lambda line: log(line)) if acc.is_main_process else (lambda line: None)
    ckpt_dir, metrics_file = os.path.join(cfg.out, "checkpoint"), os.path.join(cfg.out, "metrics.jsonl")

    # data
    raw = [s for f in cfg.train for s in read_samples(f)]
    start_dir = ckpt_dir if resume else cfg.checkpoint
    if resume and not (os.path.exists(os.path.join(ckpt_dir, "optimizer.safetensors")) and os.path.exists(os.path.join(ckpt_dir, "trainer_state.json"))):
        raise SafekeyError(f"cannot resume: {ckpt_dir} has no complete training state")
    tok_file = _tokenizer_file(cfg, ckpt_dir if resume else cfg.checkpoint)
    needs_tokenizer = any(not isinstance(s, Sample) for s in raw)
    if needs_tokenizer and tok_file is None:
        raise SafekeyError(f"{config_file}: the data has raw samples but there is no tokenizer (field 'tokenizer', or tokenizer.json in the checkpoint)")
    enc = load_encoder(tok_file) if needs_tokenizer else None
    samples, skipped = encode_samples(enc, raw, cfg.max_length, cfg.u_sentences)
    for where, reason in skipped[:5]:
        say(f"{where}: skipped: {reason}")
    if len(skipped) > 5:
        say(f"... {len(skipped) - 5} more skipped")
    if not samples:
        raise SafekeyError(f"no trainable samples ({len(skipped)} skipped)")

    # model and head
    if cfg.lora is not None and cfg.checkpoint is None:
        raise SafekeyError(f"{config_file}: field 'lora': LoRA needs a starting checkpoint (model.checkpoint)")
    lm = load_causal_lm(start_dir, cfg.model_config, cfg.seed)
    vocab = lm.get_input_embeddings().num_embeddings
    top = max(max(s.ids) for s in samples)
    if top >= vocab:
        raise SafekeyError(f"token id {top} in the data does not fit the {vocab} rows of the embedding")
    head = load_head(start_dir, lm.config.hidden_size, cfg.seed, fresh_model=cfg.checkpoint is None)
    if cfg.lora is not None:
        lm = attach_lora(lm, cfg.lora, start_dir, cfg.seed)
    model = SafekeyModel(lm, head, cfg.arm, cfg.weights)
    optimizer = adamw(model.named_parameters(), cfg.betas, cfg.eps, cfg.weight_decay)
    model, optimizer = acc.prepare(model, optimizer)
    inner = acc.unwrap_model(model)

    step, epoch0, position = 0, 0, 0
    if resume:
        from safetensors.torch import load_file
        with open(os.path.join(ckpt_dir, "trainer_state.json"), encoding="utf-8") as f:
            t = json.load(f)
        step, epoch0, position = int(t["step"]), int(t["epoch"]), int(t["position"])
        restore_optimizer(model, optimizer, load_file(os.path.join(ckpt_dir, "optimizer.safetensors")), step, os.path.join(ckpt_dir, "optimizer.safetensors"))

    world, rank = acc.num_processes, acc.process_index
    micro, _, total_updates = run_length(len(samples), cfg.batch_size, cfg.accumulation, cfg.epochs)
    warmup_steps = js_round(cfg.warmup * total_updates)
    say(f"{len(samples)} samples ({len(skipped)} skipped), arm {cfg.arm}, {cfg.epochs} epochs, {total_updates} updates, "
        f"{world} process{'es' if world > 1 else ''} ({acc.distributed_type.value}, {acc.mixed_precision}) on {acc.device}")
    if acc.is_main_process:
        os.makedirs(cfg.out, exist_ok=True)
        if resume:
            _keep_metrics_up_to(metrics_file, step)
        else:
            open(metrics_file, "w").close()
    sources = source_files(cfg.checkpoint, cfg.model_config, tok_file, cfg.lora is not None)
    device = acc.device
    tokens_total, seconds_total = 0, 0.0

    for epoch in range(epoch0, cfg.epochs):
        order = epoch_order(len(samples), cfg.seed, epoch)
        extra = extra_losses_on(epoch, cfg.epochs, cfg.extra_epochs)
        while position < micro:
            t0 = time.perf_counter()
            group = min(cfg.accumulation, micro - position)
            parts = [[samples[j] for j in order[(position + i) * cfg.batch_size:(position + i + 1) * cfg.batch_size]] for i in range(group)]
            mine = parts[rank::world]
            rounds = math.ceil(group / world)
            sums = torch.zeros(5, dtype=torch.float64)  # total, sft, qmm, dpsh, tokens of this process's micro-batches
            for i in range(rounds):
                real = i < len(mine)
                part = mine[i] if real else parts[0]
                batch = {k: v.to(device) for k, v in make_batch(part, PAD_MULTIPLE).items()}
                sync = acc.no_sync(model) if i < rounds - 1 else contextlib.nullcontext()
                with sync:
                    out = model(batch, extra)
                    acc.backward(out["total"] * (world / group if real else 0.0))
                if real:
                    sums += torch.tensor([out["total"].item(), out["sft"].item(), out["qmm"].item() if "qmm" in out else 0.0,
                                          out["dpsh"].item() if "dpsh" in out else 0.0, sum(len(s.ids) for s in part)], dtype=torch.float64)
            if world > 1:
                sums = acc.reduce(sums.to(device), reduction="sum").cpu()
            lr = cosine_lr(cfg.peak_lr, warmup_steps, total_updates, cfg.min_ratio, step)
            for g in optimizer.param_groups:
                g["lr"] = lr
            norm = acc.clip_grad_norm_(model.parameters(), cfg.clip)
            norm = norm.full_tensor() if hasattr(norm, "full_tensor") else norm  # a DTensor under FSDP
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            position += group
            seconds = time.perf_counter() - t0
            tokens_total += int(sums[4]); seconds_total += seconds
            m = {"step": step, "epoch": epoch, "lr": lr, "total": sums[0].item() / group, "sft": sums[1].item() / group}
            if extra and inner.arm in ("safekey", "qmm-only", "qmm-nomask"):
                m["qmm"] = sums[2].item() / group
            if extra and inner.arm in ("safekey", "dpsh-only"):
                m["dpsh"] = sums[3].item() / group
            m.update({"gradNorm": float(norm), "tokens": int(sums[4]), "seconds": seconds, "extra": extra, **memory_now()})
            if acc.is_main_process:
                with open(metrics_file, "a", encoding="utf-8") as f:
                    f.write(json.dumps(m) + "\n")
            say(f"update {step}/{total_updates} epoch {epoch + 1} lr {lr:.3g} loss {m['total']:.4f} sft {m['sft']:.4f}"
                + (f" qmm {m['qmm']:.4f}" if "qmm" in m else "") + (f" dpsh {m['dpsh']:.4f}" if "dpsh" in m else "")
                + f" tok/s {tokens_total / max(seconds_total, 1e-9):.0f}")
        position = 0
        _save(acc, model, optimizer, inner, cfg, ckpt_dir, sources, {"step": step, "epoch": epoch + 1, "position": 0, "seed": cfg.seed})
    acc.wait_for_everyone()
    result = {"checkpoint": ckpt_dir, "metrics": metrics_file, "skipped": len(skipped), "updates": step,
              "tokens_per_second": tokens_total / max(seconds_total, 1e-9),
              "peak_gib": torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None}
    acc.end_training()
    return result


def _save(acc, model, optimizer, inner, cfg, ckpt_dir, sources, trainer) -> None:
    """Gathers the full state (collective) and writes the checkpoint on the main process."""
    full = gather_model(model)
    opt = gather_optimizer(model, optimizer)
    if acc.is_main_process:
        named = {checkpoint_name(k): v for k, v in full.items()}
        head = {k[len("safety_head."):]: v for k, v in named.items() if k.startswith("safety_head.")}
        model_tensors = {k: v for k, v in named.items() if not k.startswith("safety_head.")}
        if getattr(inner.causal_lm.config, "tie_word_embeddings", False):
            model_tensors.pop("lm_head.weight", None)
        adapter = None
        if cfg.lora is not None:
            from peft import get_peft_model_state_dict
            adapter = (get_peft_model_state_dict(inner.lm, state_dict=model_tensors), inner.lm.peft_config["default"])
            model_tensors = None
        save_checkpoint(ckpt_dir, sources=sources, model_tensors=model_tensors, adapter=adapter, head_tensors=head,
                        optimizer_tensors=opt, trainer=trainer)
    acc.wait_for_everyone()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m safekey_torch.train", description=__doc__.split("\n\n")[0])
    p.add_argument("--config", required=True, help="the training config (the JSON `safekey train --config` reads)")
    p.add_argument("--resume", action="store_true", help="continue exactly from <out>/checkpoint")
    a = p.parse_args(argv)
    try:
        r = train(a.config, a.resume)
    except SafekeyError as e:
        print(f"safekey_torch.train: {e}", file=sys.stderr)
        return 1
    if int(os.environ.get("RANK", "0")) == 0:
        print(f"trained {r['updates']} updates; checkpoint {r['checkpoint']}; metrics {r['metrics']}"
              + (f"; {r['skipped']} samples skipped" if r["skipped"] else "") + f"; {r['tokens_per_second']:.0f} tokens/s"
              + (f"; peak GPU memory {r['peak_gib']:.1f} GiB" if r["peak_gib"] is not None else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
