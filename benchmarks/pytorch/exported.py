"""Opens a model written by `raccoon export`: MODEL.safetensors (the weights under upstream's PyTorch names) and
MODEL.json beside it (the model's kind and its C# config). build() turns the kind and config into this folder's
PyTorch definition of the same architecture (the mirrors the parity benchmark checks for the same function);
load() builds it, loads the weights with load_state_dict(strict=True) and returns it in eval mode.

    import sys; sys.path.insert(0, "benchmarks/pytorch")
    import exported
    model = exported.load("model.safetensors")
"""
import json
import os

import safetensors_io

FORMAT = "raccoon-export/1"


def _require(condition, kind, what):
    if not condition:
        raise ValueError(f"{kind}: {what}; this folder's PyTorch definition cannot build it")


def _latent_ode(c):
    import latent_ode
    _require(c["Layout"] in ("Separate", "Fused"), "latent-ode", f"QKV layout {c['Layout']}")
    return latent_ode.DeterministicLatentOde(dict(
        vocab=c["Vocab"], latent=c["Latent"], hidden=c["Hidden"], embed=c["Embed"], heads=c["Heads"], blocks=c["EncoderBlocks"],
        prior_depth=c["PriorDepth"], slices=c["Slices"], ffn_hidden=c["FfnHidden"], norm=c["Norm"].lower(),
        positions=c["Positions"].lower(), kernel=c["Kernel"].lower(), fused_qkv=c["Layout"] == "Fused", ffn=c["FeedForward"].lower()))


def _block_stack(c):
    import latent_ode
    b = c["Block"]
    _require(not b.get("AttentionBias", False), "block-stack", "attention with biases")
    _require(b["Layout"] == "Separate", "block-stack", "a fused QKV layout in the block stack")
    return latent_ode.BlockStackLanguageModel(c["Vocab"], c["Depth"], b["ModelDim"], b["Heads"], b["FfnHidden"], c["Positions"].lower(),
                                              norm=b["Norm"].lower(), ffn=b["FeedForward"].lower(), kernel=c["Kernel"].lower())


def _path_flow(c):
    import path_flow
    return path_flow.PathFlowModel(data_dim=c["DataDim"], latent_dim=c["LatentDim"], hidden=c["Hidden"], couplings=c["Couplings"],
                                   time_dim=c["TimeDim"], t_min=c["TMin"], t_max=c["TMax"], attention=c["Attention"].lower(),
                                   window=c["Window"], ou_group_size=c["OuGroupSize"],
                                   normalised_posterior_time=bool(c["NormalisedPosteriorTime"]), scale_clamp=c["ScaleClamp"],
                                   time_max_frequency=c["TimeMaxFrequency"])


def _glyph_cnn(c):
    import glyph_cnn
    variant = c["Variant"].lower()
    _require(variant in glyph_cnn.VARIANTS, "glyph-cnn", f"variant {c['Variant']}")
    emb, stages, blocks, head_hidden, dropout, head_dropout = glyph_cnn.VARIANTS[variant]
    _require((c["EmbeddingDim"], tuple(c["Stages"]), tuple(c["BlocksPerStage"]), c["HeadHidden"]) == (emb, stages, blocks, head_hidden)
             and c["VocabularySize"] == glyph_cnn.VOCABULARY and c["BnEps"] == 1e-5,
             "glyph-cnn", f"sizes other than the {c['Variant']} variant's")
    return glyph_cnn.GlyphCnnClassifier(variant, c["Classes"], c["Activation"])


def _language_model(make):
    def build(c):
        import language_models
        _require(c.get("MixHidden") in (None, c["ModelDim"] // 2) and c.get("HyperHidden") in (None, c["ModelDim"] // 4)
                 and not c.get("ShareHypernetwork", False), "language model", "a resized or shared hypernetwork")
        return getattr(language_models, make)(c["VocabularySize"], c["MaxLength"], c["ModelDim"], c["HiddenDim"], c["Layers"])
    return build


BUILDERS = {
    "latent-ode": _latent_ode,
    "block-stack": _block_stack,
    "path-flow": _path_flow,
    "glyph-cnn": _glyph_cnn,
    "transformer-language-model": _language_model("transformer"),
    "hypermixer-language-model": _language_model("hypermixer"),
}


def build(kind, config):
    """The PyTorch definition of a model of `kind` (the C# registry's name) with the C# `config` (a dict)."""
    if kind not in BUILDERS:
        raise ValueError(f"no PyTorch definition here for model kind '{kind}' (known: {', '.join(sorted(BUILDERS))})")
    return BUILDERS[kind](config)


def describe(path):
    """The JSON `raccoon export` wrote beside the weights at `path`: format, kind, config, step."""
    described = os.path.splitext(path)[0] + ".json"
    with open(described, encoding="utf-8") as f:
        d = json.load(f)
    if d.get("format") != FORMAT:
        raise ValueError(f"{described}: format {d.get('format')!r}, this reader takes {FORMAT!r}")
    return d


def load(path):
    """The exported model at `path` (MODEL.safetensors, with MODEL.json beside it), weights loaded strictly, in eval mode."""
    d = describe(path)
    model = build(d["kind"], d["config"])
    model.load_state_dict(safetensors_io.load(path), strict=True)
    return model.eval()
