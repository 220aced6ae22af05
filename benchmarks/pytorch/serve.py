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
  {"op": "check", "case": KEY, "args": {...}, "folder": DIR, "seed": S, "threads": T, "steps": N, "lr": LR}
                                                       -> builds the case, loads DIR/weights.safetensors (the C# model's
                                                          state under PyTorch's names) and DIR/inputs.safetensors into
                                                          it, and writes DIR/result.safetensors: the eval-mode output,
                                                          the train-mode loss, every parameter's gradient ("grad.NAME")
                                                          and the losses of N SGD steps from the loaded state
  {"op": "quit"}

A case is registered by a document's module (log_classifiers.py, latent_ode.py, path_flow.py,
glyph_cnn.py, language_models.py) in its CASES dict: key -> build(args) returning
(model, inference, loss), where inference() runs one forward pass on fixed inputs and loss() returns the
training objective as a scalar; a fourth element, {name: tensor}, names the fixed inputs the closures read, which
check overwrites in place with the C# side's. The training step here is the one the C# side times: loss, backward,
Adam step, zero_grad (gradients set to None).
"""
import importlib
import json
import os
import sys
import time
import traceback

import torch

import safetensors_io

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
        model, inference, loss = self.cases[key](request.get("args", {}))[:3]
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

    def check(self, request):
        """The same sequence FunctionParity.Check runs on the C# side, with the same seeds before each random draw."""
        key, folder, seed = request["case"], request["folder"], int(request.get("seed", 1))
        if key not in self.cases:
            raise KeyError(f"no PyTorch definition for case '{key}'; defined: {', '.join(sorted(self.cases))}")
        torch.set_num_threads(int(request["threads"]))
        torch.manual_seed(seed)
        self.model = None
        built = self.cases[key](request.get("args", {}))
        if len(built) < 4:
            raise ValueError(f"case '{key}' does not name its inputs")
        model, inference, loss, inputs = built
        weights = safetensors_io.load(os.path.join(folder, "weights.safetensors"))
        given = safetensors_io.load(os.path.join(folder, "inputs.safetensors"))
        if sorted(given) != sorted(inputs):
            raise KeyError(f"inputs differ: C# {sorted(given)}, PyTorch {sorted(inputs)}")
        for name, t in inputs.items():
            if t.shape != given[name].shape:
                raise ValueError(f"input {name}: C# shape {list(given[name].shape)}, PyTorch {list(t.shape)}")
            t.copy_(given[name])

        def restore():
            missing = sorted(set(model.state_dict()) - set(weights))
            unexpected = sorted(set(weights) - set(model.state_dict()))
            if missing or unexpected:
                raise KeyError(f"state names differ: missing {missing}, unexpected {unexpected}")
            model.load_state_dict(weights, strict=True)

        restore()
        model.eval()
        torch.manual_seed(seed)
        with torch.no_grad():
            output = inference()
        model.train()
        torch.manual_seed(seed + 1)
        value = loss()
        model.zero_grad(set_to_none=True)
        value.backward()
        result = {"output": output.detach().float(), "loss": value.detach().reshape(())}
        for name, p in model.named_parameters():
            if p.grad is not None:
                result["grad." + name] = p.grad.detach().clone()
        restore()
        model.zero_grad(set_to_none=True)
        optimizer = torch.optim.SGD(model.parameters(), lr=float(request.get("lr", 0.01)))
        losses = []
        for k in range(int(request.get("steps", 5))):
            torch.manual_seed(seed + 2 + k)
            value = loss()
            losses.append(float(value))
            optimizer.zero_grad(set_to_none=True)
            value.backward()
            optimizer.step()
        result["losses"] = torch.tensor(losses, dtype=torch.float64)
        safetensors_io.save(os.path.join(folder, "result.safetensors"), result)
        return {"written": os.path.join(folder, "result.safetensors")}

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
            handler = {"hello": session.hello, "build": session.build, "time": session.time, "peak": session.peak, "check": session.check}.get(op)
            if handler is None:
                raise ValueError(f"unknown op '{op}'")
            answer = handler(request)
        except Exception as e:  # the C# side reports it, naming the case
            answer = {"error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
