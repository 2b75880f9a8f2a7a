"""fp32 matmul timing server for the benchmark (PyTorch CPU peer).

Usage: python matmul.py --threads N   (bench/peers.ts starts it in this folder, with the venv's python)
Reads one JSON request a line on stdin, {"n": 512, "reps": 5, "warmup": 3}, and answers one JSON line,
{"times_ms": [...]}: `warmup` untimed then `reps` timed products a @ b of two random n x n float32 matrices.
Prints {"ready": true, "torch": version, "threads": N} first.
"""
import argparse, json, sys, time
import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    mats = {}
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        n = req["n"]
        if n not in mats:
            g = torch.Generator().manual_seed(n)
            mats[n] = (torch.randn(n, n, generator=g), torch.randn(n, n, generator=g))
        x, y = mats[n]
        for _ in range(req.get("warmup", 0)):
            x @ y
        ts = []
        for _ in range(req["reps"]):
            t = time.perf_counter()
            x @ y
            ts.append((time.perf_counter() - t) * 1e3)
        print(json.dumps({"times_ms": ts}), flush=True)


main()
