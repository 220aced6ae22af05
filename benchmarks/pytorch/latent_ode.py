"""Document 001's models for the parity benchmark, written from the library's C# port
(lib/Raccoon.Research/Models/LatentOde/ and the blocks it uses: TransformerBlock, MultiHeadSelfAttention,
RotaryPositionEmbedding, AlibiBias, SinusoidalPositionalEncoding, FeedForward, GatedFeedForward,
NeuralOdeDrift, SlicedEppsPulley, EppsPulley): the same layers in the same order and the same forward
computation and loss.

Cases:
  latent-ode/upstream   DeterministicLatentOde with LatentOdeConfig.Upstream (sinusoid, reference attention,
                        separate Q/K/V, pre-norm, ReLU FFN); inference = the encoder (the model's forward),
                        loss = recon + ep_weight * (EP(z) + EP(z_pred)) + ODE matching, as Loss() computes it.
  latent-ode/modern     the same with LatentOdeConfig.Modern (RoPE, fused attention kernel, fused QKV, SwiGLU).
  latent-ode/block-stack-{sinusoidal,rope,alibi}
                        BlockStackLanguageModel(vocab 30, depth 2, TransformerBlockConfig(64, 4, 128), fused
                        kernel) per position encoding, as the extrapolation experiment builds it;
                        loss = next-token cross-entropy from position 2 on (Loss(tokens, from: 2)).

args: batch, seq (token ids uniform in 0..vocab-1); for the latent ODE model batch x seq is what the encoder
(inference) reads and loss_batch x loss_seq what the loss reads (the training task's 67 tokens: the whole model's
loss at seq 512 is many seconds a step, mostly the 1024-slice Epps-Pulley term); ep_weight (latent ODE loss);
from (block stack loss).
"""
import math

import torch
from torch import nn
import torch.nn.functional as F

from blocks import FeedForward, SlicedEppsPulley

VOCAB = 30
UNDERSCORE = 0  # TargetLetterTask.Underscore: the decoder's "previous token" at position 0

_sdpa = getattr(F, "scaled_dot_product_attention", None)  # torch >= 2.0


def fused_attention(q, k, v, mask, is_causal):
    """The fused kernel (scaled_dot_product_attention); where this torch lacks it (< 2.0), the same math."""
    if _sdpa is not None:
        return _sdpa(q, k, v, attn_mask=mask, is_causal=is_causal)
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if is_causal:
        t, keys = scores.shape[-2], scores.shape[-1]
        scores = scores.masked_fill(torch.ones(t, keys, dtype=torch.bool).triu(1), float("-inf"))
    elif mask is not None:
        scores = scores.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool else scores + mask
    return scores.softmax(-1) @ v


def sinusoid(x, len_max=1e5):
    """SinusoidalPositionalEncoding: x + sin(u / len_max^((j - j mod 2) / C) + (pi/2)(j mod 2))."""
    t, c = x.shape[1], x.shape[2]
    u = torch.arange(t, dtype=x.dtype).unsqueeze(1)
    j = torch.arange(c).unsqueeze(0)
    k = j.remainder(2)
    angle = u / torch.pow(torch.tensor(len_max, dtype=x.dtype), (j - k).to(x.dtype) / c) + math.pi / 2 * k.to(x.dtype)
    return x + angle.sin()


def rope(x, base=10000.0):
    """RotaryPositionEmbedding: channel c paired with c + hd/2, frequency base^(-2c/hd); x (B, h, T, hd)."""
    t, hd = x.shape[2], x.shape[3]
    half = hd // 2
    inv = torch.pow(torch.tensor(base, dtype=torch.float64), -torch.arange(0, half, dtype=torch.float64) * 2.0 / hd)
    angle = torch.outer(torch.arange(t, dtype=torch.float64), inv).to(x.dtype)
    cos, sin = angle.cos(), angle.sin()
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], -1)


def alibi_slopes(heads):
    def pow2(n):
        return [2 ** (-8.0 * i / n) for i in range(1, n + 1)]
    if heads & (heads - 1) == 0:
        return pow2(heads)
    lower = 1 << int(math.floor(math.log2(heads)))
    return pow2(lower) + pow2(2 * lower)[0::2][:heads - lower]


def alibi(heads, queries, keys):
    """AlibiBias: (h, Tq, Tk) = -m_h |i - j|."""
    i = torch.arange(queries, dtype=torch.float32).unsqueeze(1)
    j = torch.arange(keys, dtype=torch.float32).unsqueeze(0)
    m = torch.tensor(alibi_slopes(heads), dtype=torch.float32).view(heads, 1, 1)
    return -m * (i - j).abs()


class MultiHeadSelfAttention(nn.Module):
    """No biases, separate wq/wk/wv or one wqkv, output projection wo; positions none / rope / alibi;
    reference kernel (explicit scores and softmax) or fused."""

    def __init__(self, dim, heads, causal, positions="none", fused_qkv=False, kernel="reference"):
        super().__init__()
        self.dim, self.heads, self.causal, self.positions, self.kernel = dim, heads, causal, positions, kernel
        if fused_qkv:
            self.wqkv = nn.Linear(dim, 3 * dim, bias=False)
        else:
            self.wq = nn.Linear(dim, dim, bias=False)
            self.wk = nn.Linear(dim, dim, bias=False)
            self.wv = nn.Linear(dim, dim, bias=False)
        self.fused_qkv = fused_qkv
        self.wo = nn.Linear(dim, dim, bias=False)

    def forward(self, x):  # (B, T, D) -> (B, T, D)
        b, t, _ = x.shape
        h, hd = self.heads, self.dim // self.heads
        if self.fused_qkv:
            q, k, v = self.wqkv(x).view(b, t, 3, h, hd).permute(2, 0, 3, 1, 4)  # (B, h, T, hd) each
        else:
            q = self.wq(x).view(b, t, h, hd).transpose(1, 2)
            k = self.wk(x).view(b, t, h, hd).transpose(1, 2)
            v = self.wv(x).view(b, t, h, hd).transpose(1, 2)
        if self.positions == "rope":
            q, k = rope(q), rope(k)
        bias = alibi(h, t, t).to(x.dtype) if self.positions == "alibi" else None
        future = torch.ones(t, t, dtype=torch.bool).triu(1) if self.causal else None
        if self.kernel == "reference":
            scores = q @ k.transpose(-2, -1) / math.sqrt(hd)
            if bias is not None:
                scores = scores + bias
            if future is not None:
                scores = scores.masked_fill(future, float("-inf"))
            y = scores.softmax(-1) @ v
        else:
            mask = bias
            if future is not None and mask is not None:
                mask = mask.masked_fill(future, float("-inf"))
            y = fused_attention(q, k, v, mask, future is not None and mask is None)
        return self.wo(y.transpose(1, 2).reshape(b, t, self.dim))


class GatedFeedForward(nn.Module):
    """down(act(gate(x)) * up(x)); act SiLU (SwiGLU) or GELU (GeGLU)."""

    def __init__(self, dim, hidden, act):
        super().__init__()
        self.gate, self.up, self.down = nn.Linear(dim, hidden), nn.Linear(dim, hidden), nn.Linear(hidden, dim)
        self.act = F.silu if act == "swish" else F.gelu

    def forward(self, x):
        return self.down(self.act(self.gate(x)) * self.up(x))


def feed_forward(kind, dim, hidden):
    if kind == "relu":
        return FeedForward(dim, hidden)
    if kind == "swiglu":
        return GatedFeedForward(dim, hidden, "swish")
    if kind == "geglu":
        return GatedFeedForward(dim, hidden, "gelu")
    raise ValueError(f"unknown feed-forward kind '{kind}'")


class TransformerBlock(nn.Module):
    """Pre-norm x + Attn(LN(x)), then + FFN(LN(.)); post-norm LN(x + Attn(x)), then LN(. + FFN(.))."""

    def __init__(self, dim, heads, ffn_hidden, causal, norm="pre", ffn="relu", positions="none", fused_qkv=False,
                 kernel="reference"):
        super().__init__()
        self.norm = norm
        self.att_ln = nn.LayerNorm(dim)
        self.att_mh = MultiHeadSelfAttention(dim, heads, causal, positions, fused_qkv, kernel)
        self.ffn_ln = nn.LayerNorm(dim)
        self.ffn = feed_forward(ffn, dim, ffn_hidden)

    def forward(self, x):
        if self.norm == "pre":
            r = x + self.att_mh(self.att_ln(x))
            return r + self.ffn(self.ffn_ln(r))
        r = self.att_ln(x + self.att_mh(x))
        return self.ffn_ln(r + self.ffn(r))


# LatentOdeConfig.Upstream and .Modern (both: vocab 30, latent 64, hidden 128, embed 64, 4 heads, 4 encoder
# blocks, prior depth 5, 1024 slices, FFN hidden 128, pre-norm); any other LatentOdeConfig (an exported model's)
# is the same dict with its own values (exported.py writes it from the C# config).
SIZES = dict(vocab=VOCAB, latent=64, hidden=128, embed=64, heads=4, blocks=4, prior_depth=5, slices=1024, ffn_hidden=128, norm="pre")
CONFIGS = {
    "upstream": dict(SIZES, positions="sinusoidal", kernel="reference", fused_qkv=False, ffn="relu"),
    "modern": dict(SIZES, positions="rope", kernel="fused", fused_qkv=True, ffn="swiglu"),
}


def block_for(c, causal):
    positions = "none" if c["positions"] == "sinusoidal" else c["positions"]
    return TransformerBlock(c["hidden"], c["heads"], c["ffn_hidden"], causal, c["norm"], c["ffn"], positions, c["fused_qkv"], c["kernel"])


class LatentOdeEncoder(nn.Module):
    """tokens -> Embedding -> Linear(E -> H) -> (sinusoid) -> bidirectional blocks -> Linear(H -> latent)."""

    def __init__(self, c):
        super().__init__()
        self.sinusoid = c["positions"] == "sinusoidal"
        self.emb = nn.Embedding(c["vocab"], c["embed"])
        self.in_proj = nn.Linear(c["embed"], c["hidden"])
        self.trunk = nn.ModuleList([block_for(c, causal=False) for _ in range(c["blocks"])])
        self.proj = nn.Linear(c["hidden"], c["latent"])

    def forward(self, tokens):
        x = self.in_proj(self.emb(tokens))
        if self.sinusoid:
            x = sinusoid(x)
        for block in self.trunk:
            x = block(x)
        return self.proj(x)


class NeuralOdeDrift(nn.Module):
    """[z, t] -> depth x (Linear -> LayerNorm -> SiLU) -> LayerNorm -> Linear -> latent."""

    def __init__(self, latent, hidden, depth):
        super().__init__()
        layers, width = [], latent + 1
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.LayerNorm(hidden), nn.SiLU()]
            width = hidden
        layers += [nn.LayerNorm(hidden), nn.Linear(hidden, latent)]
        self.drift_net = nn.Sequential(*layers)

    def forward(self, z, t):
        return self.drift_net(torch.cat([z, t], 1))


class DiscreteObservation(nn.Module):
    """One causal block over latent_proj(z_t) + token_proj(emb(x_{t-1})), then Linear(H -> vocab)."""

    def __init__(self, c):
        super().__init__()
        self.sinusoid = c["positions"] == "sinusoidal"
        self.token_emb = nn.Embedding(c["vocab"], c["embed"])
        self.latent_proj = nn.Linear(c["latent"], c["hidden"])
        self.token_proj = nn.Linear(c["embed"], c["hidden"])
        self.block = block_for(c, causal=True)
        self.proj_out = nn.Linear(c["hidden"], c["vocab"])

    def forward(self, z, tokens):
        previous = tokens.roll(1, 1)
        previous[:, 0] = UNDERSCORE
        h = self.latent_proj(z) + self.token_proj(self.token_emb(previous))
        if self.sinusoid:
            h = sinusoid(h)
        return self.proj_out(self.block(h))


class Predictor(nn.Module):
    """Built and never called by the loss (as upstream): sinusoid -> Linear -> SiLU -> Linear."""

    def __init__(self, latent, hidden):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(latent, hidden), nn.SiLU(), nn.Linear(hidden, latent))

    def forward(self, z):
        return self.net(sinusoid(z))


class DeterministicLatentOde(nn.Module):
    def __init__(self, config):
        """config: "upstream", "modern", or a dict with every key of CONFIGS' entries."""
        super().__init__()
        c = CONFIGS[config] if isinstance(config, str) else config
        missing = sorted(set(CONFIGS["upstream"]) - set(c))
        if missing:
            raise ValueError(f"latent ODE config lacks {', '.join(missing)}")
        self.vocab = c["vocab"]
        self.encoder = LatentOdeEncoder(c)
        self.p_init_m = nn.Parameter(torch.zeros(1, c["latent"]))
        self.p_init_log_s = nn.Parameter(torch.zeros(1, c["latent"]))
        self.p_ode = NeuralOdeDrift(c["latent"], c["hidden"], c["prior_depth"])
        self.p_observe = DiscreteObservation(c)
        self.latent_test = SlicedEppsPulley(c["slices"])
        self.predictor = Predictor(c["latent"], c["hidden"])
        # the C# model's UpstreamInit: Linear trunc-normal(0.02) (attention's N(0, 1/fan-in)), biases 0, LayerNorm 1 / 0.
        # TorchSharp 0.107's nn.init.trunc_normal_ fills a tensor with the constant std instead (seen on the C# side:
        # every such weight is 0.02), so the C# model starts from constant matrices; here it is the intended draw.
        # The timing does not depend on the values; with the same parameters loaded both sides give the same z and loss.
        with torch.no_grad():
            for name, m in self.named_modules():
                if isinstance(m, nn.Linear):
                    if "att_mh" in name:
                        nn.init.normal_(m.weight, 0, 1 / math.sqrt(m.weight.shape[1]))
                    else:
                        nn.init.trunc_normal_(m.weight, 0, 0.02)
                    if m.bias is not None:
                        nn.init.zeros_(m.bias)
                elif isinstance(m, nn.LayerNorm):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)

    def forward(self, tokens):  # (B, L) -> z (B, L, latent)
        return self.encoder(tokens)

    def ode_matching(self, z):
        b, l, d = z.shape
        dt = 1.0 / (l - 1)
        zt = z[:, :-1]
        dz_true = z[:, 1:] - zt
        t = torch.linspace(0, 1, l, dtype=z.dtype)[:-1].view(1, l - 1, 1).expand(b, l - 1, 1)
        dz_pred = self.p_ode(zt.reshape(-1, d), t.reshape(-1, 1)) * dt
        loss = (dz_pred - dz_true.reshape(-1, d)).abs().mean()
        predicted = (zt.reshape(-1, d).detach() + dz_pred).reshape(b, l - 1, d)
        return loss, predicted

    def loss(self, tokens, ep_weight=0.05):
        z = self.encoder(tokens)
        d = z.shape[2]
        ep = self.latent_test(z.reshape(1, -1, d))
        ode, predicted = self.ode_matching(z)
        ep = ep + self.latent_test(predicted.reshape(1, -1, d))
        logits = self.p_observe(torch.cat([z[:, :1], predicted], 1), tokens)
        recon = F.cross_entropy(logits.reshape(-1, self.vocab), tokens.reshape(-1))
        return recon + ep_weight * ep + ode


class BlockStackLanguageModel(nn.Module):
    """embedding -> (sinusoid) -> depth x causal block -> LayerNorm -> Linear."""

    def __init__(self, vocab, depth, dim, heads, ffn_hidden, positions, norm="pre", ffn="relu", kernel="fused"):
        super().__init__()
        self.sinusoid = positions == "sinusoidal"
        self.emb = nn.Embedding(vocab, dim)
        attention_positions = "none" if self.sinusoid else positions
        self.blocks = nn.ModuleList([TransformerBlock(dim, heads, ffn_hidden, True, norm, ffn, attention_positions, False, kernel)
                                     for _ in range(depth)])
        self.final_ln = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab)

    def forward(self, tokens):
        x = self.emb(tokens)
        if self.sinusoid:
            x = sinusoid(x)
        for b in self.blocks:
            x = b(x)
        return self.head(self.final_ln(x))

    def loss(self, tokens, start=0):
        t = tokens.shape[1]
        logits = self.forward(tokens[:, :t - 1])[:, start:]
        targets = tokens[:, 1 + start:]
        return F.cross_entropy(logits.reshape(-1, logits.shape[2]), targets.reshape(-1))


def build_latent_ode(config, args):
    batch, seq = int(args.get("batch", 8)), int(args.get("seq", 512))
    loss_batch, loss_seq = int(args.get("loss_batch", 8)), int(args.get("loss_seq", 67))
    ep_weight = float(args.get("ep_weight", 0.05))
    model = DeterministicLatentOde(config)
    tokens = torch.randint(0, VOCAB, (batch, seq), dtype=torch.int64)
    loss_tokens = torch.randint(0, VOCAB, (loss_batch, loss_seq), dtype=torch.int64)
    return model, (lambda: model(tokens)), (lambda: model.loss(loss_tokens, ep_weight)), {"tokens": tokens, "loss_tokens": loss_tokens}


def build_block_stack(positions, args):
    batch, seq = int(args.get("batch", 32)), int(args.get("seq", 35))
    start = int(args.get("from", 2))
    model = BlockStackLanguageModel(VOCAB, int(args.get("depth", 2)), int(args.get("dim", 64)), int(args.get("heads", 4)),
                                    int(args.get("ffn_hidden", 128)), positions)
    tokens = torch.randint(0, VOCAB, (batch, seq), dtype=torch.int64)
    return model, (lambda: model(tokens)), (lambda: model.loss(tokens, start)), {"tokens": tokens}


CASES = {
    "latent-ode/upstream": lambda args: build_latent_ode("upstream", args),
    "latent-ode/modern": lambda args: build_latent_ode("modern", args),
    **{f"latent-ode/block-stack-{p}": (lambda args, p=p: build_block_stack(p, args)) for p in ("sinusoidal", "rope", "alibi")},
}
