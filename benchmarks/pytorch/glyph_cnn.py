"""Document 003's glyph CNNs for the parity benchmark, written from the library's C# port
(lib/Raccoon.Research/Models/GlyphCnn/, Blocks/Convolution/): the same layers in the same order, the same
forward computation and the training objective GlyphCnnTrainer computes in its class-weighted phase.

args: variant ("full", "light" or "tiny"), batch (glyphs per step), classes.
"""
import torch
from torch import nn
import torch.nn.functional as F

GRID = 16
VOCABULARY = 1024

# GlyphCnnConfig.Full / Light / Tiny: embedding, stage widths, blocks per stage, head hidden, dropout, head dropout.
VARIANTS = {
    "full": (96, (96, 192, 256), (3, 3, 3), 256, 0.15, 0.30),
    "light": (64, (64, 128, 192), (2, 2, 2), 256, 0.10, 0.25),
    "tiny": (48, (48, 96, 128), (2, 2, 2), 128, 0.08, 0.20),
}

LABEL_SMOOTHING = 0.05
CLASS_WEIGHT_ALPHA = 0.2
TOKEN_DROPOUT = 0.02


def activation(name):
    if name == "gelu":
        return nn.GELU()
    if name == "relu":
        return nn.ReLU()
    raise ValueError(f"unknown activation '{name}' (gelu or relu)")


class ConvBnAct(nn.Module):
    """Conv2d (kernel 3, padding 1, no bias) -> BatchNorm2d -> activation -> Dropout2d (identity at p = 0)."""

    def __init__(self, cin, cout, stride, dropout, act="gelu", eps=1e-5):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=eps)
        self.act = activation(act)
        self.drop = nn.Dropout2d(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x):
        return self.drop(self.act(self.bn(self.conv(x))))


class PostActivationResidualBlock(nn.Module):
    """x + Dropout2d(ConvBnAct(p) -> ConvBnAct(0)); nothing after the sum."""

    def __init__(self, channels, dropout, act="gelu", eps=1e-5):
        super().__init__()
        self.conv1 = ConvBnAct(channels, channels, 1, dropout, act, eps)
        self.conv2 = ConvBnAct(channels, channels, 1, 0.0, act, eps)
        self.drop = nn.Dropout2d(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x):
        return self.drop(self.conv2(self.conv1(x))) + x


class GlyphCnnClassifier(nn.Module):
    """(B, 16, 16) primitive ids -> embedding -> NCHW -> stem -> stages (a stride-2 ConvBnAct before every
    stage but the first) -> mean over H, W -> LayerNorm -> Linear -> activation -> Dropout -> Linear."""

    def __init__(self, variant, classes, act="gelu"):
        super().__init__()
        emb, stages, blocks, head_hidden, dropout, head_dropout = VARIANTS[variant]
        self.embedding = nn.Embedding(VOCABULARY, emb)
        self.stem = ConvBnAct(emb, stages[0], 1, dropout, act)
        self.stages = nn.ModuleList()
        cin = stages[0]
        for s, (width, count) in enumerate(zip(stages, blocks)):
            layers = []
            if s > 0:
                layers.append(ConvBnAct(cin, width, 2, dropout, act))
            cin = width
            layers += [PostActivationResidualBlock(cin, dropout, act) for _ in range(count)]
            self.stages.append(nn.Sequential(*layers))
        self.head = nn.Sequential(nn.LayerNorm(cin), nn.Linear(cin, head_hidden), activation(act),
                                  nn.Dropout(head_dropout), nn.Linear(head_hidden, classes))
        # the C# model's initialisation (upstream's): embedding N(0, 1), conv and linear Xavier-uniform, biases 0, BN 1 / 0
        with torch.no_grad():
            nn.init.normal_(self.embedding.weight, 0, 1)
            for m in self.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    nn.init.xavier_uniform_(m.weight)
                    if m.bias is not None:
                        nn.init.zeros_(m.bias)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)

    def forward(self, grids):  # (B, 16, 16) int64 -> (B, classes)
        x = self.embedding(grids).permute(0, 3, 1, 2)  # (B, E, 16, 16)
        x = self.stem(x)
        for stage in self.stages:
            x = stage(x)  # (B, C0, 16, 16) -> (B, C1, 8, 8) -> (B, C2, 4, 4)
        return self.head(x.mean(dim=(2, 3)))


def class_weights(labels, classes, alpha=CLASS_WEIGHT_ALPHA):
    """GlyphCnnTrainer.ClassWeights: (N / (count + 1))^alpha over seen classes, scaled to mean 1 over them; unseen 0."""
    counts = torch.bincount(labels, minlength=classes).double()
    seen = counts > 0
    w = torch.where(seen, (labels.numel() / (counts + 1)) ** alpha, torch.zeros_like(counts))
    return (w / w[seen].mean()).float()


def build(args):
    variant = str(args.get("variant", "full")).lower()
    batch, classes = int(args.get("batch", 256)), int(args.get("classes", 1197))
    model = GlyphCnnClassifier(variant, classes)
    grids = torch.randint(0, VOCABULARY, (batch, GRID, GRID), dtype=torch.int64)
    labels = torch.randint(0, classes, (batch,), dtype=torch.int64)
    weights = class_weights(labels, classes)

    def inference():
        return model(grids)

    def scored():
        # the trainer's weighted phase: 2% of ids dropped to 0 (the empty cell), then label-smoothed,
        # class-weighted cross-entropy (the step recipe adds upstream's clip and AdamW)
        dropped = grids.masked_fill(torch.rand(grids.shape) < TOKEN_DROPOUT, 0)
        logits = model(dropped)
        return F.cross_entropy(logits, labels, weight=weights, label_smoothing=LABEL_SMOOTHING), logits, labels

    return model, inference, (lambda: scored()[0]), {"grids": grids, "labels": labels, "weights": weights}, scored


CASES = {f"glyph-cnn/{v}": (lambda args, v=v: build({**args, "variant": args.get("variant", v)})) for v in VARIANTS}
