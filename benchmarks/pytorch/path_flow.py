"""Document 002 (PathFlow) for the parity benchmark: the variational path flow written in PyTorch from the
library's C# model (lib/Raccoon.Research/Models/PathFlow/PathFlowModel.cs and the blocks it uses:
Blocks/Flows/AffineCoupling, FlowSequence, TimeConditionedCouplingFlow, Blocks/Embeddings/
MultiFrequencyTimeEmbedding, Blocks/Attention/WindowedTimeAttention, Blocks/Sde/DiagonalOrnsteinUhlenbeck,
GroupedOrnsteinUhlenbeck and OuGrid).

Every module below follows its C# counterpart operation by operation (same layers in the same order, the
same masks, the same host-side checks of the time grid), so the two sides do the same work. Parameters are
registered in the same modules, so the counts and the sorted shapes match the C# model's.

loss() is PathFlowTraining's objective, -mean ELBO with one reparameterised draw per path; inference() is
what PathFlowInferenceExperiment times: sample_paths_cond (PathFlowModel.SamplePaths) from fixed z0 draws.
"""
import math

import torch
from torch import nn
import torch.nn.functional as F

from blocks import AffineCoupling, FlowSequence, TimeConditionedCouplingFlow, alternating_mask

LOG_2PI = math.log(2 * math.pi)


# ---- OuGrid ----
def increments(times):
    """dt of a strictly increasing 1-D grid as Python floats (the C# side reads the grid to the host too)."""
    if times.dim() != 1 or times.shape[0] < 2:
        raise ValueError(f"the time grid must be 1-D with at least two points, got {tuple(times.shape)}")
    t = times.double().cpu().tolist()
    dt = [t[k + 1] - t[k] for k in range(len(t) - 1)]
    for k, d in enumerate(dt):
        if not d > 0:
            raise ValueError(f"time points must increase, got t[{k}] = {t[k]}, t[{k + 1}] = {t[k + 1]}")
    return dt


def diagonal_gaussian_log_prob(x, mean, variance):
    v = variance.clamp_min(1e-10)
    return -0.5 * (v.log() + LOG_2PI + (x - mean).square() / v).sum(-1)


# ---- OU base processes ----
class DiagonalOrnsteinUhlenbeck(nn.Module):
    def __init__(self, dim, init_mu=0.0, init_log_kappa=-0.7, init_log_sigma=-1.0):
        super().__init__()
        self.dim = dim
        self.mu = nn.Parameter(torch.full((dim,), init_mu))
        self.log_kappa = nn.Parameter(torch.full((dim,), init_log_kappa))
        self.log_sigma = nn.Parameter(torch.full((dim,), init_log_sigma))

    def values(self):
        return self.mu, F.softplus(self.log_kappa) + 1e-6, F.softplus(self.log_sigma) + 1e-6

    def transition(self, dt):
        _, k, s = self.values()
        dt = dt.clamp_min(1e-6)
        return (-k * dt).exp(), s.square() * (1 - (-2.0 * k * dt).exp()) / (2 * k)

    def path_log_prob(self, y, times, y0):
        increments(times)
        T = y.shape[1]
        dt = (times[1:] - times[:-1]).to(y.dtype).view(1, T - 1, 1)
        decay, variance = self.transition(dt)
        prev = torch.cat([y0.unsqueeze(1), y[:, 1:T - 1]], 1)
        mean = self.mu + decay * (prev - self.mu)
        return diagonal_gaussian_log_prob(y[:, 1:], mean, variance).sum(1)

    def sample_path(self, times, y0, generator=None):
        dts = increments(times)
        steps, y = [y0], y0
        m, _, _ = self.values()
        for dt in dts:
            decay, variance = self.transition(torch.tensor(dt, dtype=y0.dtype))
            mean = m + decay * (y - m)
            y = mean + torch.randn(mean.shape, dtype=y0.dtype, generator=generator) * variance.sqrt()
            steps.append(y)
        return torch.stack(steps, 1)


class GroupedOrnsteinUhlenbeck(nn.Module):
    """Block-diagonal OU: A_g = diag(kappa_g) + W_g - W_g^T, exact transitions by Van Loan's matrix exponential in float64."""

    def __init__(self, dim, group_size, init_mu=0.0, init_log_kappa=-0.7, init_log_sigma=-1.0):
        super().__init__()
        self.dim, self.group_size, self.groups = dim, group_size, dim // group_size
        self.mu = nn.Parameter(torch.full((dim,), init_mu))
        self.log_kappa = nn.Parameter(torch.full((dim,), init_log_kappa))
        self.log_sigma = nn.Parameter(torch.full((dim,), init_log_sigma))
        self.coupling = nn.Parameter(torch.zeros(self.groups, group_size, group_size))

    def sigma(self):
        return F.softplus(self.log_sigma) + 1e-6

    def drift_matrices(self):
        kappa = (F.softplus(self.log_kappa) + 1e-6).view(self.groups, self.group_size)
        return torch.diag_embed(kappa) + self.coupling - self.coupling.transpose(1, 2)

    def transitions(self, dts):
        n, g, K = self.groups, self.group_size, len(dts)
        a = self.drift_matrices().double()
        s2 = torch.diag_embed(self.sigma().double().square().view(n, g))
        dt = torch.tensor([max(d, 1e-6) for d in dts], dtype=torch.float64).view(-1, 1, 1, 1)
        top = torch.cat([a.expand(K, n, g, g), s2.expand(K, n, g, g)], 3)
        bottom = torch.cat([torch.zeros(K, n, g, g, dtype=torch.float64), -a.transpose(1, 2).expand(K, n, g, g)], 3)
        van_loan = torch.linalg.matrix_exp(torch.cat([top, bottom], 2) * dt)
        g12 = van_loan[:, :, :g, g:]
        phi = van_loan[:, :, g:, g:].transpose(2, 3)
        q = torch.matmul(phi, g12)
        q = 0.5 * (q + q.transpose(2, 3))
        return phi, q

    def grid_transitions(self, dts):
        d0 = dts[0]
        uniform = all(abs(d - d0) <= 1e-9 * max(1.0, abs(d0)) + 1e-7 * d0 for d in dts)
        phi, q = self.transitions([d0] if uniform else dts)
        return phi, q, uniform

    def path_log_prob(self, y, times, y0):
        dts = increments(times)
        B, T = y.shape[0], y.shape[1]
        n, g = self.groups, self.group_size
        phi, q, _ = self.grid_transitions(dts)
        phi = phi.to(y.dtype)
        chol = torch.linalg.cholesky(q).to(y.dtype)
        prev = torch.cat([y0.unsqueeze(1), y[:, 1:T - 1]], 1)
        v = (prev - self.mu).view(B, T - 1, n, g, 1)
        mean = self.mu.view(1, 1, n, g, 1) + torch.matmul(phi, v)
        r = y[:, 1:].reshape(B, T - 1, n, g, 1) - mean
        white = torch.linalg.solve_triangular(chol.expand(B, T - 1, n, g, g), r, upper=False)
        log_det = 2 * chol.diagonal(0, -2, -1).log().sum(-1)
        per_group = -0.5 * (white.square().sum([-2, -1]) + log_det + g * LOG_2PI)
        return per_group.sum([1, 2])

    def sample_path(self, times, y0, generator=None):
        dts = increments(times)
        n_paths, n, g = y0.shape[0], self.groups, self.group_size
        phi, q, uniform = self.grid_transitions(dts)
        phi = phi.to(y0.dtype)
        chol = torch.linalg.cholesky(q).to(y0.dtype)
        steps, y = [y0], y0
        for k in range(len(dts)):
            j = 0 if uniform else k
            v = (y - self.mu).view(n_paths, n, g, 1)
            mean = self.mu.view(1, n, g, 1) + torch.matmul(phi[j], v)
            noise = torch.randn(n_paths, n, g, 1, dtype=y0.dtype, generator=generator)
            y = (mean + torch.matmul(chol[j], noise)).view(n_paths, self.dim)
            steps.append(y)
        return torch.stack(steps, 1)


# ---- posterior time attention (no parameters) ----
def global_attention(values, queries):
    L = values.shape[1]
    tau = torch.linspace(0, 1, L, dtype=values.dtype).view(1, 1, L)
    weights = (-(L * (tau - queries.unsqueeze(2))).square()).softmax(-1)
    return torch.bmm(weights, values)


def windowed_attention(values, queries, window):
    B, L, H = values.shape
    Q = queries.shape[1]
    w = min(window, L)
    center = (queries * (L - 1)).round().clamp(0, L - 1).to(torch.int64)
    start = (center - (w - 1) // 2).clamp(0, L - w)
    index = start.unsqueeze(2) + torch.arange(w, dtype=torch.int64).view(1, 1, w)
    tau = torch.zeros_like(index, dtype=values.dtype) if L == 1 else index.to(values.dtype) / (L - 1)
    weights = (-(L * (tau - queries.unsqueeze(2))).square()).softmax(-1)
    flat = (index + (torch.arange(B, dtype=torch.int64) * L).view(B, 1, 1)).flatten()
    gathered = values.reshape(B * L, H).index_select(0, flat).view(B, Q, w, H)
    return (gathered * weights.unsqueeze(3)).sum(2)


# ---- the model ----
class PathFlowModel(nn.Module):
    """Time-conditioned RealNVP prior over an OU base process, conditional RealNVP observation flow, GRU posterior
    encoder with time attention + MLP, learned z0 prior; the ELBO with one reparameterised path per observation."""

    def __init__(self, data_dim=3, latent_dim=4, hidden=128, couplings=6, time_dim=64, t_min=0.0, t_max=3.0,
                 attention="upstream", window=10, ou_group_size=0, normalised_posterior_time=False,
                 scale_clamp=1.5, time_max_frequency=16.0):
        super().__init__()
        if attention not in ("upstream", "global", "windowed"):
            raise ValueError(f"attention must be upstream, global or windowed, got '{attention}'")
        self.data_dim, self.latent_dim, self.t_min, self.t_max = data_dim, latent_dim, t_min, t_max
        self.attention, self.window, self.normalised_posterior_time = attention, window, normalised_posterior_time
        self.prior_flow = TimeConditionedCouplingFlow(latent_dim, hidden, couplings, time_dim, 2, scale_clamp, time_max_frequency)
        self.ou = DiagonalOrnsteinUhlenbeck(latent_dim) if ou_group_size == 0 else GroupedOrnsteinUhlenbeck(latent_dim, ou_group_size)
        self.observation_flow = FlowSequence([AffineCoupling(data_dim, hidden, alternating_mask(data_dim, i % 2), latent_dim, 2, scale_clamp)
                                              for i in range(couplings)])
        self.encoder = nn.GRU(data_dim, hidden, batch_first=True)
        self.posterior_net = nn.Sequential(nn.Linear(hidden + 1, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                                           nn.Linear(hidden, 2 * latent_dim))
        self.z0_mean = nn.Parameter(torch.zeros(1, latent_dim))
        self.z0_log_std = nn.Parameter(torch.full((1, latent_dim), -0.2))
        self._initialise_as_upstream()

    @torch.no_grad()
    def _initialise_as_upstream(self):
        for coupling in list(self.prior_flow.couplings.layers) + list(self.observation_flow.layers):
            linears = [m for m in coupling.conditioner if isinstance(m, nn.Linear)]
            for lin in linears:
                nn.init.xavier_uniform_(lin.weight)
                nn.init.zeros_(lin.bias)
            nn.init.zeros_(linears[-1].weight)
            nn.init.zeros_(linears[-1].bias)
        post = [m for m in self.posterior_net if isinstance(m, nn.Linear)]
        for lin in post:
            nn.init.xavier_uniform_(lin.weight)
            nn.init.zeros_(lin.bias)
        post[-1].bias[self.latent_dim:].fill_(-0.5)

    # flows
    def prior_time(self, t):
        return ((t - self.t_min) / max(self.t_max - self.t_min, 1e-8)).clamp(0, 1)

    def prior_inverse(self, z, t):
        return self.prior_flow.inverse_flow(z, self.prior_time(t))

    def prior_forward(self, y, t):
        return self.prior_flow.forward_flow(y, self.prior_time(t))[0]

    def observation_log_prob(self, x, z):
        u, log_det = self.observation_flow.inverse_flow(x, z)
        return diagonal_gaussian_log_prob(u, torch.zeros_like(u), torch.ones_like(u)) + log_det

    # posterior
    def encode(self, xs):
        output, hidden = self.encoder(xs)
        return torch.cat([hidden[0].unsqueeze(1), output], 1)

    def posterior_query_time(self, ts):
        return (ts - self.t_min) / (self.t_max - self.t_min) if self.normalised_posterior_time else ts

    def posterior_coefficients(self, ctx, queries):
        B, L, Q = ctx.shape[0], ctx.shape[1] - 1, queries.shape[1]
        h, outs = ctx[:, 0], ctx[:, 1:]
        if self.attention == "upstream":
            rep = outs.repeat_interleave(Q, 0)                      # (B Q, L, H): one copy per query
            t = queries.reshape(B * Q, 1)
            tau = torch.linspace(0, 1, L, dtype=ctx.dtype).unsqueeze(0)
            c = (-(L * (tau - t)).square()).softmax(-1)
            read = (rep * c.unsqueeze(2)).sum(1).view(B, Q, -1)
        elif self.attention == "windowed":
            read = windowed_attention(outs, queries, self.window)
        else:
            read = global_attention(outs, queries)
        hq = h.unsqueeze(1) + read
        coeffs = self.posterior_net(torch.cat([hq, queries.unsqueeze(2)], 2))
        mean, log_std = coeffs.chunk(2, -1)
        return mean, log_std.exp()

    def posterior(self, xs, ts):
        return self.posterior_coefficients(self.encode(xs), self.posterior_query_time(ts[:, :, 0]))

    # prior
    def prior_path_log_prob(self, z, ts, z0):
        B, T, D = z.shape
        yf, log_det = self.prior_inverse(z.reshape(B * T, D), ts.reshape(B * T, 1))
        y = yf.view(B, T, D)
        log_det_seq = log_det.view(B, T)[:, 1:].sum(1)
        y0, _ = self.prior_inverse(z0, ts[:, 0])                    # the second pass for z0, as the C# model
        return self.ou.path_log_prob(y, ts[0, :, 0], y0) + log_det_seq

    def z0_log_prob(self, z0):
        s = self.z0_log_std.exp()
        return diagonal_gaussian_log_prob(z0, self.z0_mean.expand_as(z0), s.square().expand_as(z0))

    def validate(self, xs, ts):
        """The C# Elbo's input checks (LorenzPaths.Validate), host reads included."""
        if xs.dim() != 3 or xs.shape[2] != self.data_dim:
            raise ValueError(f"observations must be (batch, time, {self.data_dim}), got {tuple(xs.shape)}")
        if ts.dim() != 3 or ts.shape[0] != xs.shape[0] or ts.shape[1] != xs.shape[1] or ts.shape[2] != 1:
            raise ValueError(f"times must be (batch, time, 1) matching the observations, got {tuple(ts.shape)}")
        if not bool(xs.isfinite().all()) or not bool(ts.isfinite().all()):
            raise ValueError("the observations or times contain NaN or infinity")
        if xs.shape[1] < 2:
            raise ValueError("a path needs at least two time points")
        if not bool((ts[:, 1:] - ts[:, :-1]).gt(0).all()):
            raise ValueError("time points must be strictly increasing along every path")

    def elbo(self, xs, ts):
        self.validate(xs, ts)
        m, s = self.posterior(xs, ts)
        B, T = xs.shape[0], xs.shape[1]
        z = m + s * torch.randn(m.shape, dtype=m.dtype)
        log_px = self.observation_log_prob(xs.reshape(B * T, self.data_dim), z.reshape(B * T, self.latent_dim)).view(B, T).sum(1)
        z0 = z[:, 0]
        log_pz = self.z0_log_prob(z0) + self.prior_path_log_prob(z, ts, z0)
        log_q = diagonal_gaussian_log_prob(z, m, s.square()).sum(1)
        return log_px + log_pz - log_q

    def loss(self, xs, ts):
        return -self.elbo(xs, ts).mean()

    @torch.no_grad()
    def sample_paths(self, grid, z0, generator=None):
        n, T, D = z0.shape[0], grid.shape[0], self.latent_dim
        t0 = grid[0].expand(n, 1)
        y0, _ = self.prior_inverse(z0, t0)
        y = self.ou.sample_path(grid, y0, generator)
        tf = grid.view(1, T, 1).expand(n, T, 1).reshape(n * T, 1)
        z = self.prior_forward(y.reshape(n * T, D), tf).view(n, T, D)
        x = self.observation_flow.forward_flow(torch.zeros(n * T, self.data_dim, dtype=z0.dtype), z.reshape(n * T, D))[0].view(n, T, self.data_dim)
        return z, x

    @torch.no_grad()
    def sample_z0(self, n):
        return self.z0_mean + self.z0_log_std.exp() * torch.randn(n, self.latent_dim)


# ---- cases ----
def _build(args):
    """Every size comes from args (PathFlowParity.cs sends the C# PathFlowConfig's fields), so one build serves each case."""
    model = PathFlowModel(data_dim=int(args["data_dim"]), latent_dim=int(args["latent_dim"]), hidden=int(args["hidden"]),
                          couplings=int(args["couplings"]), time_dim=int(args["time_dim"]),
                          t_min=float(args.get("t_min", 0.0)), t_max=float(args.get("t_max", 3.0)),
                          attention=str(args["attention"]), window=int(args.get("window", 10)),
                          ou_group_size=int(args.get("ou_group_size", 0)),
                          normalised_posterior_time=bool(int(args.get("normalised_posterior_time", 0))),
                          scale_clamp=float(args.get("scale_clamp", 1.5)), time_max_frequency=float(args.get("time_max_frequency", 16.0)))
    paths, points = int(args["paths"]), int(args["points"])
    t_min, t_max = model.t_min, model.t_max
    # training batch: standardised-scale observations on the experiment's time grid
    xs = torch.randn(paths, points, model.data_dim)
    ts = torch.linspace(t_min, t_max, points).view(1, points, 1).repeat(paths, 1, 1)
    # inference: sample_paths_cond from fixed z0 draws on a grid of sample_points
    grid = torch.linspace(t_min, t_max, int(args["sample_points"]))
    z0 = model.sample_z0(int(args["sample_paths"]))

    def inference():
        return model.sample_paths(grid, z0, torch.Generator().manual_seed(2))[1]

    def loss():
        return model.loss(xs, ts)

    return model, inference, loss, {"xs": xs, "ts": ts, "grid": grid, "z0": z0}


CASES = {
    "path-flow/upstream": _build,
    "path-flow/windowed": _build,
    "path-flow/grouped-ou": _build,
}
