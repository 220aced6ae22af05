"""Per-operation overhead, PyTorch side of `Raccoon.Research.Benchmarks overhead` (OverheadBenchmark.cs):
the same chains of tiny operations the C# side runs, timed on request so the two sides can interleave.

Protocol (one JSON object a line, stdin -> stdout):
  {"threads": 2}                      -> {"torch": "1.13.1", "threads": 2}
  {"case": "add", "ops": 200, "repeats": 20, "warmup": 3}
                                      -> {"seconds": [...]}  one entry per chain of `ops` operations
Cases (inputs 32x32 float32, gradients off, as the C# side):
  add      y = y + a            (out of place: one new tensor per op)
  add_     y.add_(a)            (in place: no allocation)
  linear   y = linear(y)        (nn.Linear(32, 32) with bias)
  relu     y = relu(y)
SimpleRaccoon's encoder layers at its inference size (batch 32, 32 channels, 50 tokens), eval mode:
  conv1d     y = conv(y)        (nn.Conv1d(32, 32, 3, padding=1) on (32, 32, 50))
  batchnorm  y = bn(y)          (nn.BatchNorm1d(32) in eval on (32, 32, 50))
"""
import json
import sys
import time

import torch
from torch import nn


def chain(case, ops):
    a = torch.randn(32, 32)
    lin = nn.Linear(32, 32)
    if case == "add":
        def run():
            y = a
            for _ in range(ops):
                y = y + a
            return y
    elif case == "add_":
        y0 = torch.zeros(32, 32)

        def run():
            for _ in range(ops):
                y0.add_(a)
            return y0
    elif case == "linear":
        def run():
            y = a
            for _ in range(ops):
                y = lin(y)
            return y
    elif case == "relu":
        def run():
            y = a
            for _ in range(ops):
                y = torch.relu(y)
            return y
    elif case in ("conv1d", "batchnorm"):
        x = torch.randn(32, 32, 50)
        layer = nn.Conv1d(32, 32, 3, padding=1) if case == "conv1d" else nn.BatchNorm1d(32).eval()

        def run():
            y = x
            for _ in range(ops):
                y = layer(y)
            return y
    else:
        raise ValueError(f"unknown case '{case}'")
    return run


def main():
    torch.manual_seed(0)
    for line in sys.stdin:
        request = json.loads(line)
        if "threads" in request:
            torch.set_num_threads(int(request["threads"]))
            print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
            continue
        run = chain(request["case"], int(request["ops"]))
        with torch.no_grad():
            for _ in range(int(request.get("warmup", 3))):
                run()
            seconds = []
            for _ in range(int(request["repeats"])):
                t0 = time.perf_counter()
                run()
                seconds.append(time.perf_counter() - t0)
        print(json.dumps({"seconds": seconds}), flush=True)


if __name__ == "__main__":
    main()
