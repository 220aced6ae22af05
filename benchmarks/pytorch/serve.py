"""The PyTorch side of the parity benchmark (raccoon parity).

Reads one JSON request per line on standard input and answers one JSON line on standard output, so the
C# side can interleave its own timings with these in one run, one process computing at a time:

  {"op": "hello"}                                      -> torch version, BLAS, registered cases
  {"op": "build", "case": KEY, "args": {...}, "seed": S, "threads": T, "recipe": {...}}
                                                       -> parameter count, sorted parameter shapes, and the step
                                                          recipe it will apply (the C# side compares it with its own)
  {"op": "time", "step": "inference"|"train", "warmup": W, "repeats": R}
                                                       -> seconds of each of R steps after W warm-up steps
  {"op": "step"}                                       -> one training step, untimed: the loss it read and the total
                                                          gradient norm before and after the clip (null: no clip)
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
(model, inference, loss, inputs[, scored]), where inference() runs one forward pass on fixed inputs, loss() returns the
training objective as a scalar, inputs names the fixed tensors the closures read (check overwrites them in place with
the C# side's), and scored() returns (loss, logits, targets) for a recipe that reads the logits.

The steps timed are upstream's own, as the case's step recipe (StepRecipe.cs, sent in build) says: inference is
no_grad, the forward pass, then the readout upstream applies ("output", "argmax", "softmax_argmax", "softmax_top5",
"last_position_softmax_argmax"); a training step is zero_grad (to None), the forward pass, the readout upstream logs
("loss", "loss_and_accuracy", "loss_and_top5", each read as numbers), upstream's NaN guards where it has them (isnan/isinf
of the loss, then of every gradient with its norm read), backward (through RustGPT's clip at the logits where "logit_clip"
is set), clip_grad_norm_ to "clip_norm" where set, and upstream's optimizer ("adam" or "adamw", "lr", "weight_decay").
"""
import importlib
import json
import os
import sys
import time
import traceback

import torch
import torch.nn.functional as F

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


class Recipe:
    """A case's step recipe (StepRecipe.cs): what upstream's own code does around the model in one step."""
    INFERENCE = ("output", "argmax", "softmax_argmax", "softmax_top5", "last_position_softmax_argmax")
    TRAINING = ("loss", "loss_and_accuracy", "loss_and_top5")

    def __init__(self, wire):
        self.optimizer_name = str(wire["optimizer"])
        self.lr, self.weight_decay = float(wire["lr"]), float(wire["weight_decay"])
        self.clip_norm = None if wire["clip_norm"] is None else float(wire["clip_norm"])
        self.guards = bool(wire["guards"])
        self.training, self.inference = str(wire["training"]), str(wire["inference"])
        self.logit_clip = None if wire["logit_clip"] is None else float(wire["logit_clip"])
        if self.optimizer_name not in ("adam", "adamw"):
            raise ValueError(f"unknown optimizer '{self.optimizer_name}'")
        if self.training not in self.TRAINING or self.inference not in self.INFERENCE:
            raise ValueError(f"unknown readout: training '{self.training}', inference '{self.inference}'")
        self.needs_logits = self.training != "loss" or self.logit_clip is not None

    def wire(self):
        """The recipe as applied, echoed to the C# side."""
        return {"optimizer": self.optimizer_name, "lr": self.lr, "weight_decay": self.weight_decay, "clip_norm": self.clip_norm,
                "guards": self.guards, "training": self.training, "logit_clip": self.logit_clip, "inference": self.inference}

    def optimizer(self, parameters):
        kind = torch.optim.Adam if self.optimizer_name == "adam" else torch.optim.AdamW
        return kind(parameters, lr=self.lr, weight_decay=self.weight_decay)

    def inference_step(self, inference):
        with torch.no_grad():
            output = inference()
            if self.inference == "argmax":
                return output.argmax(dim=1)
            if self.inference == "softmax_argmax":
                torch.softmax(output, dim=1)  # upstream returns the probabilities beside the predictions
                return output.argmax(dim=1)
            if self.inference == "softmax_top5":
                return torch.softmax(output, dim=1).topk(5, dim=1).indices
            if self.inference == "last_position_softmax_argmax":
                return torch.softmax(output[:, -1], dim=-1).argmax(dim=-1)  # (B, T, V) -> (B)
            return output

    def training_step(self, model, loss, scored, optimizer):
        """One step; returns the loss read and the total gradient norm before the clip (None: no clip)."""
        optimizer.zero_grad(set_to_none=True)
        if self.needs_logits:
            value, logits, targets = scored()
            read = value.item()
            with torch.no_grad():
                if self.training == "loss_and_accuracy":
                    (logits.argmax(dim=1) == targets).float().mean().item()
                elif self.training == "loss_and_top5":
                    correct = logits.topk(5, dim=1).indices.t().eq(targets.view(1, -1))  # (5, B)
                    correct[:1].sum().item()
                    correct.sum().item()
            if self.logit_clip is not None:
                value = value * logit_scale(logits, targets, self.logit_clip)
        else:
            value = loss()
            read = value.item()
        if self.guards:
            bool(torch.isnan(value).any()) or bool(torch.isinf(value).any())
        value.backward()
        if self.guards:
            for p in model.parameters():
                if p.grad is not None:
                    bool(torch.isnan(p.grad).any()) or bool(torch.isinf(p.grad).any())
                    p.grad.norm().item()
        before = None
        if self.clip_norm is not None:
            before = float(torch.nn.utils.clip_grad_norm_(model.parameters(), self.clip_norm))
        optimizer.step()
        return read, before


def logit_scale(logits, targets, threshold):
    """RustGPT's adaptive clip of the logits' gradient as a detached scale: (softmax - one-hot) / n over the n rows,
    scaled by min(1, threshold / (norm / sqrt(numel)))."""
    with torch.no_grad():
        flat = logits.detach().reshape(-1, logits.shape[-1])  # (n, V)
        g = (torch.softmax(flat, dim=1) - F.one_hot(targets.reshape(-1), flat.shape[1]).to(flat.dtype)) / flat.shape[0]
        return (threshold / (g.norm() / g.numel() ** 0.5)).clamp(max=1.0)


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
        built = self.cases[key](request.get("args", {}))
        model, inference, loss = built[:3]
        scored = built[4] if len(built) > 4 else None
        recipe = Recipe(request["recipe"])
        if recipe.needs_logits and scored is None:
            raise ValueError(f"case '{key}': the recipe reads the logits, but the case gives no scored loss")
        self.model = (model, inference, loss, scored, recipe, recipe.optimizer(model.parameters()))
        shapes = sorted("x".join(str(d) for d in p.shape) for p in model.parameters())
        return {"parameters": sum(p.numel() for p in model.parameters()), "shapes": shapes,
                "threads": torch.get_num_threads(), "recipe": recipe.wire()}

    def time(self, request):
        if self.model is None:
            raise RuntimeError("time before build")
        model, inference, loss, scored, recipe, optimizer = self.model
        step = request["step"]
        if step == "inference":
            model.eval()

            def once():
                recipe.inference_step(inference)
        elif step == "train":
            model.train()

            def once():
                recipe.training_step(model, loss, scored, optimizer)
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

    def step(self, _):
        if self.model is None:
            raise RuntimeError("step before build")
        model, inference, loss, scored, recipe, optimizer = self.model
        model.train()
        value, before = recipe.training_step(model, loss, scored, optimizer)
        after = None
        if recipe.clip_norm is not None:
            after = float(torch.norm(torch.stack([p.grad.detach().norm() for p in model.parameters() if p.grad is not None])))
        return {"loss": value, "norm_before_clip": before, "norm_after_clip": after}

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
        model, inference, loss, inputs = built[:4]
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
            handler = {"hello": session.hello, "build": session.build, "time": session.time, "step": session.step, "peak": session.peak,
                       "check": session.check}.get(op)
            if handler is None:
                raise ValueError(f"unknown op '{op}'")
            answer = handler(request)
        except Exception as e:  # the C# side reports it, naming the case
            answer = {"error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
