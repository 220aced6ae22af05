"""The PyTorch side of the parity benchmark (raccoon parity).

Reads one JSON request per line on standard input and answers one JSON line on standard output, so the
C# side can interleave its own timings with these in one run, one process computing at a time:

  {"op": "hello"}                                      -> torch version, BLAS, registered cases
  {"op": "build", "case": KEY, "args": {...}, "seed": S, "threads": T}
                                                       -> parameter count and sorted parameter shapes
  {"op": "time", "step": "inference"|"train", "warmup": W, "repeats": R}
                                                       -> seconds of each of R steps after W warm-up steps
  {"op": "peak", "kind": "matmul"|"convolution", "size": {...}, "warmup": W, "repeats": R}
                                                       -> seconds of each of R kernel calls
  {"op": "quit"}

A case is registered by a document's module (log_classifiers.py, latent_ode.py, path_flow.py,
glyph_cnn.py, language_models.py) in its CASES dict: key -> build(args) returning
(model, inference, loss), where inference() runs one forward pass on fixed inputs and loss() returns the
training objective as a scalar. The training step here is the one the C# side times: loss, backward,
Adam step, zero_grad (gradients set to None).
"""
import importlib
import json
import sys
import time
import traceback

import torch

DOCUMENT_MODULES = ["log_classifiers", "latent_ode", "path_flow", "glyph_cnn", "language_models"]


def load_cases():
    cases = {}
    for name in DOCUMENT_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name == name:
                continue  # that document has no PyTorch definitions yet
            raise
        for key, build in module.CASES.items():
            if key in cases:
                raise ValueError(f"case {key} is registered twice")
            cases[key] = build
    return cases


class Session:
    def __init__(self):
        self.cases = load_cases()
        self.model = None

    def hello(self, _):
        return {"torch": torch.__version__, "threads": torch.get_num_threads(),
                "config": torch.__config__.show(), "cases": sorted(self.cases)}

    def build(self, request):
        key = request["case"]
        if key not in self.cases:
            raise KeyError(f"no PyTorch definition for case '{key}'; defined: {', '.join(sorted(self.cases))}")
        torch.set_num_threads(int(request["threads"]))
        torch.manual_seed(int(request.get("seed", 1)))
        self.model = None
        model, inference, loss = self.cases[key](request.get("args", {}))
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        self.model = (model, inference, loss, optimizer)
        shapes = sorted("x".join(str(d) for d in p.shape) for p in model.parameters())
        return {"parameters": sum(p.numel() for p in model.parameters()), "shapes": shapes,
                "threads": torch.get_num_threads()}

    def time(self, request):
        if self.model is None:
            raise RuntimeError("time before build")
        model, inference, loss, optimizer = self.model
        step = request["step"]
        if step == "inference":
            model.eval()

            def once():
                with torch.no_grad():
                    inference()
        elif step == "train":
            model.train()

            def once():
                value = loss()
                value.backward()
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
        else:
            raise ValueError(f"unknown step '{step}' (inference or train)")
        for _ in range(int(request.get("warmup", 3))):
            once()
        seconds = []
        for _ in range(int(request["repeats"])):
            t0 = time.perf_counter()
            once()
            seconds.append(time.perf_counter() - t0)
        return {"seconds": seconds}

    def peak(self, request):
        kind, size = request["kind"], request["size"]
        torch.set_num_threads(int(request["threads"]))
        if kind == "matmul":
            n = int(size["n"])
            a, b = torch.randn(n, n), torch.randn(n, n)
            call = lambda: torch.mm(a, b)
        elif kind == "convolution":
            x = torch.randn(int(size["batch"]), int(size["channels"]), int(size["height"]), int(size["width"]))
            w = torch.randn(int(size["channels"]), int(size["channels"]), int(size["kernel"]), int(size["kernel"]))
            pad = int(size["kernel"]) // 2
            call = lambda: torch.nn.functional.conv2d(x, w, padding=pad)
        else:
            raise ValueError(f"unknown kernel '{kind}' (matmul or convolution)")
        with torch.no_grad():
            for _ in range(int(request.get("warmup", 3))):
                call()
            seconds = []
            for _ in range(int(request["repeats"])):
                t0 = time.perf_counter()
                call()
                seconds.append(time.perf_counter() - t0)
        return {"seconds": seconds}


def main():
    session = Session()
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            request = json.loads(line)
            op = request.get("op")
            if op == "quit":
                break
            handler = {"hello": session.hello, "build": session.build, "time": session.time, "peak": session.peak}.get(op)
            if handler is None:
                raise ValueError(f"unknown op '{op}'")
            answer = handler(request)
        except Exception as e:  # the C# side reports it, naming the case
            answer = {"error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
