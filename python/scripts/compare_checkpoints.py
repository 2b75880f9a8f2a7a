"""Largest difference between the tensors of two checkpoints' safetensors files (same names and shapes):
    python python/scripts/compare_checkpoints.py DIR_A DIR_B [--tolerance 1e-5]
Exits 1 when a tensor differs by more than the tolerance (absolute)."""
import argparse
import sys

from safetensors.torch import load_file


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--tolerance", type=float, default=1e-5)
    p.add_argument("--files", nargs="+", default=["model.safetensors", "safety_head.safetensors", "optimizer.safetensors"])
    a = p.parse_args()
    worst_all = 0.0
    for name in a.files:
        ta, tb = load_file(f"{a.a}/{name}"), load_file(f"{a.b}/{name}")
        if ta.keys() != tb.keys():
            print(f"{name}: different tensors: {sorted(ta.keys() ^ tb.keys())[:5]}")
            return 1
        diffs = {k: (ta[k].double() - tb[k].double()).abs().max().item() if ta[k].numel() else 0.0 for k in ta}
        worst = max(diffs, key=diffs.get)
        print(f"{name}: max abs difference {diffs[worst]:.3e} ({worst}), {len(diffs)} tensors")
        worst_all = max(worst_all, diffs[worst])
    return 0 if worst_all <= a.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
