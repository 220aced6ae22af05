"""Document 000 (LogClassifiers) for the parity benchmark: the two upstream builds the library ports,
written here in plain PyTorch from the library's C# (Models/LogClassifiers/RaccoonLogClassifier.cs,
SimpleRaccoonModel.cs and the blocks they compose), layer for layer, so that both sides hold the same
parameters (76,740 and 12,470 with the upstream configurations) and compute the same forward pass.

Cases (args: vocabulary, classes, batch, length):
  log-classifiers/original-upstream  RaccoonLogClassifier, RaccoonLogClassifierConfig.Upstream
  log-classifiers/simple-upstream    SimpleRaccoonModel, SimpleRaccoonConfig.Upstream
inference() is the model's upstream inference path (Logits with InferencePath.Upstream); loss() is the
training objective (Objective(tokens, labels).Loss).
"""
import math

import torch
from torch import nn
import torch.nn.functional as F

from blocks import SlicedEppsPulley, TimeConditionedCouplingFlow


# ---------------------------------------------------------------- RaccoonLogClassifier (the upstream "Original")

class MeanPooledMlpEncoder(nn.Module):
    """Per-token Linear-SiLU-Linear-SiLU, mean over positions, then mean and log-variance heads."""

    def __init__(self, input_dim, hidden, latent):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(input_dim, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU())
        self.mean_head = nn.Linear(hidden, latent)
        self.logvar_head = nn.Linear(hidden, latent)

    def forward(self, x):  # (B, T, E)
        pooled = self.trunk(x).mean(1)  # (B, H)
        return self.mean_head(pooled), self.logvar_head(pooled)


class NeuralSdeDynamics(nn.Module):
    """Drift MLP and clamped log-diffusion MLP on [z, t]; Xavier-normal weights, zero biases, as the C# asks
    for. (TorchSharp 0.107's nn.init.xavier_normal_ calls libtorch's xavier_uniform_, so the C# weights have
    the same variance but a uniform distribution; initial values do not change the cost of a step.)"""

    def __init__(self, latent, hidden, sigma_min=1e-4, sigma_max=1.0):
        super().__init__()
        self.log_min, self.log_max = math.log(sigma_min), math.log(sigma_max)
        self.drift_net = nn.Sequential(nn.Linear(latent + 1, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                                       nn.Linear(hidden, latent))
        self.log_diffusion_net = nn.Sequential(nn.Linear(latent + 1, hidden), nn.SiLU(), nn.Linear(hidden, latent))
        for net in (self.drift_net, self.log_diffusion_net):
            for layer in net:
                if isinstance(layer, nn.Linear):
                    nn.init.xavier_normal_(layer.weight, gain=1.0)
                    nn.init.zeros_(layer.bias)

    def coefficients(self, z, t):
        zt = torch.cat([z, t], 1)
        return self.drift_net(zt), self.log_diffusion_net(zt).clamp(self.log_min, self.log_max).exp()


def euler_maruyama_step(coefficients, z, t, dt):
    drift, diffusion = coefficients(z, t)
    noise = torch.randn(z.shape, dtype=z.dtype, device=z.device) * math.sqrt(dt)
    return z + drift * dt + diffusion * noise


def euler_maruyama_solve(dynamics, z0, times):
    """Path (B, N, D) over the grid, as the library's EulerMaruyama.Solve."""
    path, z = [z0], z0
    for i in range(len(times) - 1):
        t = torch.full((z0.shape[0], 1), times[i], dtype=z0.dtype, device=z0.device)
        z = euler_maruyama_step(dynamics.coefficients, z, t, times[i + 1] - times[i])
        path.append(z)
    return torch.stack(path, 1)


class LearnableGaussianPrior(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.z0_mean = nn.Parameter(torch.zeros(dim))
        self.z0_logvar = nn.Parameter(torch.zeros(dim))

    def kl(self, mean, logvar):
        var_q, var_p = logvar.exp(), self.z0_logvar.exp()
        terms = self.z0_logvar - logvar + (var_q + (mean - self.z0_mean).square()) / (var_p + 1e-8) - 1
        return (0.5 * terms.mean()).clamp_min(0.0)


class RaccoonLogClassifier(nn.Module):
    """Embedding -> mean-pooled MLP encoder -> sample -> SDE (3 points on [0, 0.1]) -> 4 couplings at t = 0.5 -> head."""

    def __init__(self, vocabulary=40, classes=4, latent=32, hidden=64, embed=32, flow_layers=4, time_dim=32,
                 sde_horizon=0.1, sde_points=3, flow_time=0.5, weights=(1.0, 0.1, 0.01), slices=64):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary, embed)
        self.encoder = MeanPooledMlpEncoder(embed, hidden, latent)
        self.dynamics = NeuralSdeDynamics(latent, hidden)
        self.flow = TimeConditionedCouplingFlow(latent, hidden, flow_layers, time_dim, hidden_layers=2, scale_range=3.0,
                                                max_frequency=1000.0, bound="soft")
        self.head = nn.Sequential(nn.Linear(latent, hidden), nn.SiLU(), nn.Linear(hidden, classes))
        self.prior = LearnableGaussianPrior(latent)
        self.latent_test = SlicedEppsPulley(slices, t_max=5.0, points=17)
        self.sde_times = [sde_horizon * i / (sde_points - 1) for i in range(sde_points)]
        self.flow_time = flow_time
        self.weights = weights

    def encode(self, tokens):
        return self.encoder(self.embedding(tokens))

    @staticmethod
    def sample(mean, logvar):
        return mean + torch.randn_like(mean) * (0.5 * logvar).exp()

    def logits(self, tokens):  # upstream inference path: encoder, sampled latent, head
        mean, logvar = self.encode(tokens)
        return self.head(self.sample(mean, logvar))

    def objective(self, tokens, labels):
        return self.scored(tokens, labels)[0]

    def scored(self, tokens, labels):  # the loss and the logits it came from (upstream's forward also reads its accuracy)
        mean, logvar = self.encode(tokens)
        z = self.sample(mean, logvar)
        z_t = euler_maruyama_solve(self.dynamics, z, self.sde_times)[:, -1]
        t = torch.full((z.shape[0], 1), self.flow_time, dtype=z.dtype, device=z.device)
        z_flow, _ = self.flow(z_t, t)  # the log-det is not in upstream's loss
        logits = self.head(z_flow)
        classification = F.cross_entropy(logits, labels)
        kl = self.prior.kl(mean, logvar)
        ep = self.latent_test(z_flow.unsqueeze(0))
        w_class, w_kl, w_ep = self.weights
        return w_class * classification + w_kl * kl + w_ep * ep, logits


# ---------------------------------------------------------------- SimpleRaccoonModel (the "Alternative")

class ConvEncoder1d(nn.Module):
    """Conv1d (same padding) -> BatchNorm1d -> ReLU per layer, global average pool, Linear to the latent."""

    def __init__(self, input_dim, channels, latent, kernel=3):
        super().__init__()
        self.convs, self.norms = nn.ModuleList(), nn.ModuleList()
        width = input_dim
        for c in channels:
            self.convs.append(nn.Conv1d(width, c, kernel, padding=kernel // 2))
            self.norms.append(nn.BatchNorm1d(c))
            width = c
        self.fc = nn.Linear(width, latent)

    def forward(self, x):  # (B, T, E) -> (B, L)
        h = x.transpose(1, 2)
        for conv, norm in zip(self.convs, self.norms):
            h = F.relu(norm(conv(h)))
        return self.fc(h.mean(2))


class OrnsteinUhlenbeck(nn.Module):
    """dz = -theta z dt + sigma dW, two learnable scalars."""

    def __init__(self, theta=0.1, sigma=0.1):
        super().__init__()
        self.theta = nn.Parameter(torch.tensor(float(theta)))
        self.sigma = nn.Parameter(torch.tensor(float(sigma)))

    def coefficients(self, z, t):
        return -self.theta * z, self.sigma

    def steps(self, z, n, dt):
        for _ in range(n):
            z = euler_maruyama_step(self.coefficients, z, None, dt)
        return z


class DiagonalAffine(nn.Module):
    def __init__(self, dim, initial_scale=0.1):
        super().__init__()
        self.scale = nn.Parameter(torch.full((dim,), initial_scale))
        self.shift = nn.Parameter(torch.zeros(dim))

    def forward(self, x):
        z = self.scale * x + self.shift
        return z, (self.scale.abs() + 1e-8).log().sum().expand(x.shape[0])


class SimpleRaccoonModel(nn.Module):
    """Embedding (padding 0) -> CNN encoder -> OU steps (training only) -> 4 diagonal affine flows -> head."""

    def __init__(self, vocabulary=43, classes=4, latent=32, hidden=64, embed=32, channels=(32, 32, 16), sde_steps=3,
                 sde_dt=0.01, flow_layers=4, dropout=0.1, flow_reg_weight=0.01):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary, embed, padding_idx=0)
        self.encoder = ConvEncoder1d(embed, channels, latent)
        self.sde = OrnsteinUhlenbeck(0.1, 0.1)
        self.flow = nn.ModuleList(DiagonalAffine(latent) for _ in range(flow_layers))
        self.head = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, classes))
        self.register_buffer("global_step", torch.zeros((), dtype=torch.int64))
        self.sde_steps, self.sde_dt, self.flow_reg_weight = sde_steps, sde_dt, flow_reg_weight

    def encode(self, tokens):
        return self.encoder(self.embedding(tokens))

    def run_flow(self, z):
        log_det = torch.zeros(z.shape[0], dtype=z.dtype, device=z.device)
        for layer in self.flow:
            z, ld = layer(z)
            log_det = log_det + ld
        return z, log_det

    def logits(self, tokens):  # upstream inference path: encoder, head
        return self.head(self.encode(tokens))

    def objective(self, tokens, labels):
        return self.scored(tokens, labels)[0]

    def scored(self, tokens, labels):  # the loss and the logits it came from (upstream's forward also reads its accuracy)
        z = self.encode(tokens)
        if self.training:
            z = self.sde.steps(z, self.sde_steps, self.sde_dt)
        z_flow, log_det = self.run_flow(z)
        logits = self.head(z_flow)
        return F.cross_entropy(logits, labels) + self.flow_reg_weight * log_det.abs().mean(), logits


# ---------------------------------------------------------------- cases

def _inputs(args, vocabulary, classes):
    batch, length = int(args.get("batch", 32)), int(args.get("length", 50))
    tokens = torch.randint(0, vocabulary, (batch, length), dtype=torch.int64)
    labels = torch.randint(0, classes, (batch,), dtype=torch.int64)
    return tokens, labels


def build_original_upstream(args):
    vocabulary, classes = int(args.get("vocabulary", 40)), int(args.get("classes", 4))
    model = RaccoonLogClassifier(vocabulary, classes)
    tokens, labels = _inputs(args, vocabulary, classes)
    return model, (lambda: model.logits(tokens)), (lambda: model.objective(tokens, labels)), {"tokens": tokens, "labels": labels}, (lambda: (*model.scored(tokens, labels), labels))


def build_simple_upstream(args):
    vocabulary, classes = int(args.get("vocabulary", 43)), int(args.get("classes", 4))
    model = SimpleRaccoonModel(vocabulary, classes)
    tokens, labels = _inputs(args, vocabulary, classes)
    return model, (lambda: model.logits(tokens)), (lambda: model.objective(tokens, labels)), {"tokens": tokens, "labels": labels}, (lambda: (*model.scored(tokens, labels), labels))


CASES = {
    "log-classifiers/original-upstream": build_original_upstream,
    "log-classifiers/simple-upstream": build_simple_upstream,
}
