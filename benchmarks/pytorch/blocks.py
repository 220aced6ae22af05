"""Blocks that more than one document's PyTorch definitions use, each written once, as the library has each
once: Blocks/Flows (AffineCoupling with its two scale bounds, FlowSequence, TimeConditionedCouplingFlow),
Blocks/Embeddings/MultiFrequencyTimeEmbedding, Blocks/Statistics (EppsPulley, SlicedEppsPulley) and the
ReLU FeedForward of Blocks/FeedForward. Same layers, same order, same forward pass as the C#.
"""
import math

import torch
from torch import nn
import torch.nn.functional as F


# ---- Blocks/FeedForward ----
class FeedForward(nn.Module):
    """fc2(relu(fc1(x))); out_dim defaults to in_dim."""

    def __init__(self, in_dim, hidden, out_dim=None):
        super().__init__()
        self.fc1 = nn.Linear(in_dim, hidden)
        self.fc2 = nn.Linear(hidden, out_dim or in_dim)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


# ---- Blocks/Embeddings ----
class MultiFrequencyTimeEmbedding(nn.Module):
    """t (B, 1) -> [sin(t f), cos(t f)], dim/2 frequencies geometric from 1 to max_frequency; no parameters."""

    def __init__(self, dim, max_frequency):
        super().__init__()
        self.register_buffer("freqs", torch.linspace(math.log(1.0), math.log(max_frequency), dim // 2).exp())

    def forward(self, t):
        angles = t * self.freqs.unsqueeze(0)
        return torch.cat([angles.sin(), angles.cos()], 1)


# ---- Blocks/Flows ----
def alternating_mask(dim, parity):
    m = torch.zeros(dim)
    m[parity::2] = 1.0
    return m


class AffineCoupling(nn.Module):
    """Masked-full RealNVP coupling: the conditioner reads x * mask (and a context), and only the coordinates
    with mask = 0 are transformed. bound "soft" is range * tanh(s / range) (upstream RaccoonFlow), "tanh" is
    range * tanh(s) (the path flow's clamp); ScaleBound.Soft and ScaleBound.Tanh in the C#."""

    def __init__(self, dim, hidden, mask, context_dim, hidden_layers=2, scale_range=1.5, bound="tanh"):
        super().__init__()
        if bound not in ("soft", "tanh"):
            raise ValueError(f"unknown scale bound '{bound}' (soft or tanh)")
        self.dim, self.context_dim, self.scale_range, self.bound = dim, context_dim, scale_range, bound
        self.register_buffer("mask", mask.float().clone())
        layers, width = [], dim + context_dim
        for _ in range(hidden_layers):
            layers += [nn.Linear(width, hidden), nn.SiLU()]
            width = hidden
        layers.append(nn.Linear(width, 2 * dim))
        self.conditioner = nn.Sequential(*layers)

    def _parameters_of(self, x, context):
        kept = x * self.mask
        h = torch.cat([kept, context], 1) if self.context_dim > 0 else kept
        s, shift = self.conditioner(h).chunk(2, 1)
        if self.bound == "soft":
            return (s / self.scale_range).tanh() * self.scale_range, shift
        return s.tanh() * self.scale_range, shift

    def forward_flow(self, x, context):
        scale, shift = self._parameters_of(x, context)
        free = 1 - self.mask
        return x * self.mask + free * (x * scale.exp() + shift), (scale * free).sum(1)

    def inverse_flow(self, z, context):
        scale, shift = self._parameters_of(z, context)
        free = 1 - self.mask
        return z * self.mask + free * ((z - shift) * (-scale).exp()), -(scale * free).sum(1)

    def forward(self, x, context):
        return self.forward_flow(x, context)


class FlowSequence(nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def forward_flow(self, x, context):
        log_det = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        z = x
        for layer in self.layers:
            z, ld = layer.forward_flow(z, context)
            log_det = log_det + ld
        return z, log_det

    def inverse_flow(self, z, context):
        log_det = torch.zeros(z.shape[0], dtype=z.dtype, device=z.device)
        x = z
        for layer in reversed(self.layers):
            x, ld = layer.inverse_flow(x, context)
            log_det = log_det + ld
        return x, log_det


class TimeConditionedCouplingFlow(nn.Module):
    """Couplings with alternating masks, each conditioned on the time embedding of t."""

    def __init__(self, dim, hidden, layers, time_dim, hidden_layers=2, scale_range=1.5, max_frequency=16.0, bound="tanh"):
        super().__init__()
        self.time_embedding = MultiFrequencyTimeEmbedding(time_dim, max_frequency)
        self.couplings = FlowSequence([AffineCoupling(dim, hidden, alternating_mask(dim, i % 2), time_dim, hidden_layers, scale_range, bound)
                                       for i in range(layers)])

    def forward_flow(self, x, t):
        return self.couplings.forward_flow(x, self.time_embedding(t))

    def inverse_flow(self, z, t):
        return self.couplings.inverse_flow(z, self.time_embedding(t))

    def forward(self, x, t):
        return self.forward_flow(x, t)


# ---- Blocks/Statistics ----
class EppsPulley(nn.Module):
    """N x trapezoid integral over t in [0, t_max] of |empirical characteristic function - exp(-t^2/2)|^2."""

    def __init__(self, t_max=5.0, points=17):
        super().__init__()
        t = torch.linspace(0, t_max, points)
        dt = t_max / (points - 1)
        w = torch.full((points,), 2 * dt)
        w[0] = w[-1] = dt
        self.register_buffer("t", t)
        self.register_buffer("phi", (-0.5 * t.square()).exp())
        self.register_buffer("weights", w)

    def forward(self, x):  # (*, N, K) -> (*, K)
        n = x.shape[-2]
        xt = x.unsqueeze(-1) * self.t
        err = (xt.cos().mean(-3) - self.phi).square() + xt.sin().mean(-3).square()
        return err @ self.weights * n


class SlicedEppsPulley(nn.Module):
    """Mean Epps-Pulley over K random unit directions, from a generator seeded by a step counter that advances every call."""

    def __init__(self, slices=64, t_max=5.0, points=17):
        super().__init__()
        self.slices = slices
        self.univariate = EppsPulley(t_max, points)
        self.register_buffer("global_step", torch.zeros((), dtype=torch.int64))

    def forward(self, x):
        with torch.no_grad():
            g = torch.Generator().manual_seed(int(self.global_step.item()))
            a = torch.randn(x.shape[-1], self.slices, generator=g)
            directions = a / (a.norm(p=2, dim=0, keepdim=True) + 1e-12)
            self.global_step.add_(1)
        return self.univariate(x @ directions).mean()
