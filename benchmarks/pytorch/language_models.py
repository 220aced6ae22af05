"""Document 004 (LanguageModels) for the parity benchmark: RustGPT's Transformer and HyperMixer (upstream
token mixing, not causal) language models, written here in plain PyTorch from the library's C#
(Models/LanguageModels/LanguageModel.cs and the blocks it stacks), layer for layer, with the same
parameters and the same forward computation.

Cases (args: vocabulary, max_length, model_dim, hidden_dim, layers, batch, length, train_length):
  language-models/transformer  TransformerLanguageModel (fused attention kernel, the library's default)
  language-models/hypermixer   HyperMixerLanguageModel, HyperMixerVariant.Upstream
inference() is one forward pass on (batch, length) token ids; loss() is the teacher-forced next-token
cross entropy (NextToken.TeacherForcedLoss) on (batch, train_length) ids.
"""
import math

import torch
from torch import nn
import torch.nn.functional as F

from blocks import FeedForward


class TokenPositionEmbedding(nn.Module):
    def __init__(self, vocabulary, max_length, dim):
        super().__init__()
        self.tokens = nn.Embedding(vocabulary, dim)
        self.positions = nn.Parameter(torch.zeros(max_length, dim))

    def forward(self, ids):  # (B, T) -> (B, T, D)
        return self.tokens(ids) + self.positions.narrow(0, 0, ids.shape[1])


class StdLayerNorm(nn.Module):
    """Divides by (population std + eps), as RustGPT's LayerNorm; torch's divides by sqrt(var + eps)."""

    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.gamma = nn.Parameter(torch.ones(dim))
        self.beta = nn.Parameter(torch.zeros(dim))

    def forward(self, x):
        centred = x - x.mean(-1, keepdim=True)
        std = centred.square().mean(-1, keepdim=True).sqrt()
        return centred / (std + self.eps) * self.gamma + self.beta


class Residual(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return x + self.inner(x)


def _attention(q, k, v):
    """Causal softmax(q k^T / sqrt(hd)) v; the fused kernel where this torch has it."""
    if hasattr(F, "scaled_dot_product_attention"):
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)
    t = q.shape[-2]
    scores = q.matmul(k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
    future = torch.ones(t, t, dtype=torch.bool, device=q.device).triu(1)
    return scores.masked_fill(future, float("-inf")).softmax(-1).matmul(v)


class SelfAttention(nn.Module):
    """Single-head causal attention, Wq, Wk, Wv without bias, no output projection; one fused QKV matmul."""

    def __init__(self, dim, heads=1):
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.wq = nn.Linear(dim, dim, bias=False)
        self.wk = nn.Linear(dim, dim, bias=False)
        self.wv = nn.Linear(dim, dim, bias=False)

    def forward(self, x):
        b, t, d = x.shape
        w = torch.cat([self.wq.weight, self.wk.weight, self.wv.weight], 0)
        qkv = F.linear(x, w).view(b, t, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        y = _attention(qkv[0], qkv[1], qkv[2])
        return y.transpose(1, 2).reshape(b, t, d)


class HyperTokenMixer(nn.Module):
    """RustGPT's token mixing: a hypernetwork on the mean over positions generates a per-channel MLP over
    positions (W1, b1, W2, b2), cut to the first T positions. Not causal (the upstream variant)."""

    def __init__(self, dim, mix_hidden, max_length, hyper_hidden):
        super().__init__()
        self.l, self.h = max_length, mix_hidden
        generated = max_length * mix_hidden + mix_hidden + mix_hidden * max_length + max_length
        self.hypernetwork = FeedForward(dim, hyper_hidden, generated)

    def forward(self, x):  # (B, T, D)
        b, t, _ = x.shape
        l, h = self.l, self.h
        generated = self.hypernetwork(x.mean(1))  # (B, G)
        w1, b1, w2, b2 = generated.split([l * h, h, h * l, l], -1)
        w1 = w1.view(b, l, h).narrow(-2, 0, t)  # (B, T, H)
        w2 = w2.view(b, h, l).narrow(-1, 0, t)  # (B, H, T)
        b2 = b2.narrow(-1, 0, t)                # (B, T)
        hidden = F.relu(x.transpose(1, 2).matmul(w1) + b1.unsqueeze(1))  # (B, D, H)
        mixed = hidden.matmul(w2) + b2.unsqueeze(1)                        # (B, D, T)
        return mixed.transpose(1, 2)


class HyperMixerBlock(nn.Module):
    """x1 = LN1(x); x2 = x1 + mix(x1); x3 = LN2(x2); out = x3 + FFN(x3)."""

    def __init__(self, dim, hidden, max_length, mix_hidden, hyper_hidden):
        super().__init__()
        # Registered in the C# block's field order (parameters() in the same order on both sides).
        self.norm1 = StdLayerNorm(dim)
        self.norm2 = StdLayerNorm(dim)
        self.token_mixing = HyperTokenMixer(dim, mix_hidden, max_length, hyper_hidden)
        self.channel_mixing = FeedForward(dim, hidden)

    def forward(self, x):
        x1 = self.norm1(x)
        x2 = x1 + self.token_mixing(x1)
        x3 = self.norm2(x2)
        return x3 + self.channel_mixing(x3)


class LanguageModel(nn.Module):
    """Embeddings, the blocks, OutputProjection (Linear with bias), with RustGPT's initialisation:
    embeddings and positions N(0, 0.02), weights N(0, 2 / fan_in), biases 0."""

    def __init__(self, vocabulary, max_length, dim, blocks):
        super().__init__()
        embeddings = TokenPositionEmbedding(vocabulary, max_length, dim)  # made first, as the C# does: same draws
        self.stack = nn.ModuleList([embeddings, *blocks(), nn.Linear(dim, vocabulary)])
        with torch.no_grad():
            for module in self.modules():
                if isinstance(module, TokenPositionEmbedding):
                    nn.init.normal_(module.tokens.weight, 0, 0.02)
                    nn.init.normal_(module.positions, 0, 0.02)
                elif isinstance(module, nn.Linear):
                    nn.init.normal_(module.weight, 0, math.sqrt(2.0 / module.weight.shape[1]))
                    if module.bias is not None:
                        nn.init.zeros_(module.bias)

    def forward(self, tokens):
        h = tokens
        for layer in self.stack:
            h = layer(h)
        return h


def transformer(vocabulary, max_length, dim, hidden, layers):
    def blocks():
        for _ in range(layers):
            yield from [Residual(SelfAttention(dim)), StdLayerNorm(dim), Residual(FeedForward(dim, hidden)), StdLayerNorm(dim)]
    return LanguageModel(vocabulary, max_length, dim, blocks)


def hypermixer(vocabulary, max_length, dim, hidden, layers):
    return LanguageModel(vocabulary, max_length, dim,
                         lambda: [HyperMixerBlock(dim, hidden, max_length, dim // 2, dim // 4) for _ in range(layers)])


def teacher_forced_loss(model, tokens):
    return teacher_forced(model, tokens)[0]


def teacher_forced(model, tokens):
    """The next-token loss, its logits (n, V) and targets (n): RustGPT's step clips the gradient at the logits."""
    t = tokens.shape[1]
    logits = model(tokens.narrow(1, 0, t - 1))
    logits, targets = logits.reshape(-1, logits.shape[2]), tokens.narrow(1, 1, t - 1).reshape(-1)
    return F.cross_entropy(logits, targets), logits, targets


def _build(make):
    def build(args):
        vocabulary = int(args.get("vocabulary", 533))
        max_length = int(args.get("max_length", 80))
        model = make(vocabulary, max_length, int(args.get("model_dim", 128)), int(args.get("hidden_dim", 256)),
                     int(args.get("layers", 3)))
        batch, length = int(args.get("batch", 1)), int(args.get("length", max_length))
        train_length = int(args.get("train_length", length))
        tokens = torch.randint(0, vocabulary, (batch, length), dtype=torch.int64)
        train_tokens = torch.randint(0, vocabulary, (batch, train_length), dtype=torch.int64)
        return model, (lambda: model(tokens)), (lambda: teacher_forced_loss(model, train_tokens)), {"tokens": tokens, "train_tokens": train_tokens}, (lambda: teacher_forced(model, train_tokens))
    return build


CASES = {
    "language-models/transformer": _build(transformer),
    "language-models/hypermixer": _build(hypermixer),
}
