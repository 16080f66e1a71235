#!/usr/bin/env python3
"""Generates the conformance references from transformers itself.

For every model type of the installed transformers whose text model has a *RotaryEmbedding module, and for
each form of its config (see FORMS), it writes the config as config.json would hold it and what the model's own
rotary module computes from it on the CPU in float32: inv_freq, the attention scaling, and cos/sin at sampled
positions, after one forward call over positions up to CONTEXT_LENGTH - 1 (so that the dynamic and longrope
updates happen as the model runs them). Where the variant's formula is known, it adds inv_freq computed with
mpmath at 50 digits, for ropeforge's exact mode; such a value is kept only when it agrees with torch's within
16 float32 ulps, so a formula that transformers does not follow for a family is never used as a reference.

usage: generate_references.py OUTDIR [--only TYPE,TYPE] [--shard I/N] [--sources FILE.json.gz]
Writes OUTDIR/<form>.jsonl.gz (one line per model type) and OUTDIR/not-driven.jsonl (model type, form,
reason), and prints the counts per form. A model type whose config needs a package that is not installed (timm
for pe_video and pe_audio_video) is listed there with the import error.
"""
import argparse
import base64
import collections
import gzip
import importlib
import inspect
import json
import math
import os
import sys
import traceback
import warnings

# Some composite configs name a hub checkpoint for a sub-config; nothing is to be fetched while generating.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import mpmath
import numpy as np
import torch
import transformers
from transformers.models.auto.configuration_auto import CONFIG_MAPPING

warnings.filterwarnings("ignore")
transformers.logging.set_verbosity_error()
torch.set_num_threads(1)
mpmath.mp.dps = 50

CONTEXT_LENGTH = 1 << 20
POSITIONS = [1, 100, 4096, 65537, 524287, CONTEXT_LENGTH - 1]
NESTED_TEXT_KEYS = ("text_config", "language_config", "llm_config", "thinker_config", "decoder_config")
SKIP_CLASS_WORDS = ("Vision", "Visual", "Vit", "Audio", "Speech", "Patch", "Encoder", "DiT", "Code2Wav", "Image")


def llama3_bands(factor, low, high, original):
    return {"rope_type": "llama3", "factor": factor, "low_freq_factor": low, "high_freq_factor": high,
            "original_max_position_embeddings": original}


# Each injected form replaces the parameters of every RoPE dictionary of the config (theta and partial kept).
# A lambda of (max_position_embeddings, number of frequencies) gives the new entries.
INJECTED = {
    "linear": lambda m, n: {"rope_type": "linear", "factor": 2.0},
    "dynamic": lambda m, n: {"rope_type": "dynamic", "factor": 2.0},
    "yarn": lambda m, n: {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": max(1, m // 4),
                          "beta_fast": 32.0, "beta_slow": 1.0},
    "yarn_mscale": lambda m, n: {"rope_type": "yarn", "factor": 40.0, "mscale": 1.0, "mscale_all_dim": 0.707,
                                 "original_max_position_embeddings": max(1, m // 8), "beta_fast": 32.0,
                                 "beta_slow": 1.0},
    "longrope": lambda m, n: {"rope_type": "longrope", "original_max_position_embeddings": max(1, m // 4),
                              "short_factor": [1.0 + 0.01 * i for i in range(n)],
                              "long_factor": [1.0 + 0.37 * i for i in range(n)]},
    "llama3_31": lambda m, n: llama3_bands(8.0, 1.0, 4.0, 8192),
    "llama3_bands": lambda m, n: llama3_bands(16.0, 2.0, 8.0, 4096),
    "llama3_wide": lambda m, n: llama3_bands(32.0, 1.0, 2.5, 2048),
}
FORMS = ["v5", "v4"] + list(INJECTED)


def f32_b64(values):
    return base64.b64encode(np.asarray(values, dtype="<f4").tobytes()).decode()


def f64_b64(values):
    return base64.b64encode(np.asarray(values, dtype="<f8").tobytes()).decode()


def text_config(cfg):
    try:
        return cfg.get_text_config(decoder=True)
    except TypeError:
        return cfg.get_text_config()


def rotary_class(tc):
    """The text model's rotary module: the *RotaryEmbedding of the text config's modeling module, preferring
    one named after the text config's class, then one named Text, then the shortest name."""
    module_name = type(tc).__module__.replace(".configuration_", ".modeling_")
    try:
        mod = importlib.import_module(module_name)
    except Exception:
        return None
    prefix = type(tc).__name__[:-len("Config")] if type(tc).__name__.endswith("Config") else type(tc).__name__
    cands = []
    for name, obj in vars(mod).items():
        if isinstance(obj, type) and name.endswith("RotaryEmbedding") and issubclass(obj, torch.nn.Module):
            if any(w in name for w in SKIP_CLASS_WORDS):
                continue
            cands.append((0 if name == prefix + "RotaryEmbedding" else 1, 0 if "Text" in name else 1, len(name),
                          name, obj))
    if not cands:
        return None
    cands.sort(key=lambda c: c[:4])
    return cands[0][4]


def holders(d):
    out = [d]
    for k in NESTED_TEXT_KEYS:
        if isinstance(d.get(k), dict):
            out.extend(holders(d[k]))
    return out


def is_per_layer(rp):
    return isinstance(rp, dict) and rp and all(isinstance(v, dict) or v is None for v in rp.values())


def inject(d, form, n):
    done = False
    for h in holders(d):
        rp = h.get("rope_parameters")
        if not isinstance(rp, dict):
            continue
        maxpos = h.get("max_position_embeddings") or d.get("max_position_embeddings") or 4096
        entries = [(k, v) for k, v in rp.items() if isinstance(v, dict)] if is_per_layer(rp) else [(None, rp)]
        for key, entry in entries:
            if "rope_theta" not in entry:
                continue
            new = {"rope_theta": entry["rope_theta"]}
            if "partial_rotary_factor" in entry:
                new["partial_rotary_factor"] = entry["partial_rotary_factor"]
            new.update(INJECTED[form](int(maxpos), n))
            if key is None:
                h["rope_parameters"] = new
            else:
                rp[key] = new
            done = True
    return d if done else None


def to_v4(d):
    """HF v4 form: top-level rope_theta (and partial_rotary_factor), rope_scaling for a non-default type. A
    per-layer-type dictionary becomes the full-attention values at the top level plus rope_local_base_freq for
    the sliding layers (layer_types kept), as Gemma 3 style configs were published."""
    done = False
    for h in holders(d):
        rp = h.get("rope_parameters")
        if not isinstance(rp, dict):
            continue
        if is_per_layer(rp):
            full = rp.get("full_attention") or next((v for v in rp.values() if isinstance(v, dict)), None)
            if full is None or "rope_theta" not in full:
                continue
            sliding = rp.get("sliding_attention")
            h.pop("rope_parameters")
            flat = dict(full)
            h["rope_theta"] = flat.pop("rope_theta")
            if "partial_rotary_factor" in flat:
                h["partial_rotary_factor"] = flat.pop("partial_rotary_factor")
            if flat.get("rope_type", "default") != "default" or len(flat) > 1:
                h["rope_scaling"] = flat
            if isinstance(sliding, dict) and sliding.get("rope_theta") not in (None, h["rope_theta"]):
                h["rope_local_base_freq"] = sliding["rope_theta"]
            done = True
            continue
        if "rope_theta" not in rp:
            continue
        rp = dict(h.pop("rope_parameters"))
        h["rope_theta"] = rp.pop("rope_theta")
        if "partial_rotary_factor" in rp:
            h["partial_rotary_factor"] = rp.pop("partial_rotary_factor")
        if rp.get("rope_type", "default") != "default" or len(rp) > 1:
            h["rope_scaling"] = rp
        done = True
    return d if done else None


def forward(rope, layer_type):
    """(cos, sin) from one forward call over POSITIONS, or None when this harness cannot drive the module's
    forward (its position ids have another shape); a module returning complex rotations gives their real and
    imaginary parts."""
    x = torch.zeros(1, 1, dtype=torch.float32)
    pos = torch.tensor([POSITIONS], dtype=torch.long)
    for p in (pos, pos[None].expand(3, 1, len(POSITIONS)), pos[None].expand(4, 1, len(POSITIONS))):
        try:
            with torch.no_grad():
                out = rope(x, p) if layer_type is None else rope(x, p, layer_type)
        except Exception:
            continue
        if torch.is_tensor(out) and out.is_complex():
            return out.real, out.imag
        if isinstance(out, tuple) and len(out) == 2:
            return out
    return None


def per_frequency(table, n):
    """The module's cos (or sin) as [position][frequency]: its rows hold each frequency twice, either as two
    halves (rotate_half) or interleaved; None when the layout is neither."""
    t = table.detach().float()
    while t.dim() > 2:
        t = t[0]
    if t.shape[-1] == n:
        return t.numpy()
    if t.shape[-1] == 2 * n:
        if torch.equal(t[:, :n], t[:, n:]):
            return t[:, :n].numpy()
        if torch.equal(t[:, 0::2], t[:, 1::2]):
            return t[:, 0::2].numpy()
    return None


def ulp32(x):
    x = np.float32(abs(x))
    return float(np.nextafter(x, np.float32(np.inf)) - x)


def mp_default(theta, dim, n):
    return [mpmath.mpf(1) / mpmath.power(mpmath.mpf(theta), mpmath.mpf(2 * i) / dim) for i in range(n)]


def exact_inv_freq(rope_type, rp, dim, n, max_pos, seq_len):
    """inv_freq of transformers' formula for rope_type, in mpmath; None where the formula is not one of these."""
    theta = rp.get("rope_theta")
    if theta is None:
        return None
    theta = mpmath.mpf(repr(float(theta)))
    if rope_type == "default":
        return mp_default(theta, dim, n)
    if rope_type == "linear":
        return [v / mpmath.mpf(repr(float(rp["factor"]))) for v in mp_default(theta, dim, n)]
    if rope_type == "dynamic":
        factor = mpmath.mpf(repr(float(rp["factor"])))
        length = max(seq_len, max_pos)
        base = theta * (factor * length / max_pos - (factor - 1)) ** (mpmath.mpf(dim) / (dim - 2))
        return mp_default(base, dim, n)
    if rope_type == "llama3":
        f = mpmath.mpf(repr(float(rp["factor"])))
        low = mpmath.mpf(repr(float(rp["low_freq_factor"])))
        high = mpmath.mpf(repr(float(rp["high_freq_factor"])))
        old = mpmath.mpf(int(rp["original_max_position_embeddings"]))
        out = []
        for w in mp_default(theta, dim, n):
            wavelen = 2 * mpmath.pi / w
            if wavelen < old / high:
                out.append(w)
            elif wavelen > old / low:
                out.append(w / f)
            else:
                s = (old / wavelen - low) / (high - low)
                out.append((1 - s) * w / f + s * w)
        return out
    if rope_type == "yarn":
        factor = rp.get("factor")
        original = rp.get("original_max_position_embeddings") or max_pos
        factor = mpmath.mpf(max_pos) / original if factor is None else mpmath.mpf(repr(float(factor)))
        beta_fast = mpmath.mpf(repr(float(rp.get("beta_fast") or 32)))
        beta_slow = mpmath.mpf(repr(float(rp.get("beta_slow") or 1)))

        def correction_dim(rotations):
            return dim * mpmath.log(mpmath.mpf(original) / (rotations * 2 * mpmath.pi)) / (2 * mpmath.log(theta))

        low, high = correction_dim(beta_fast), correction_dim(beta_slow)
        if rp.get("truncate", True):
            low, high = mpmath.floor(low), mpmath.ceil(high)
        low, high = max(low, 0), min(high, dim - 1)
        if low == high:
            high += mpmath.mpf("0.001")
        out = []
        for i, w in enumerate(mp_default(theta, dim, n)):
            ramp = min(max((i - low) / (high - low), 0), 1)
            extrapolation_weight = 1 - ramp
            out.append(w / factor * (1 - extrapolation_weight) + w * extrapolation_weight)
        return out
    if rope_type == "longrope":
        original = int(rp.get("original_max_position_embeddings") or max_pos)
        factors = rp["long_factor"] if seq_len > original else rp["short_factor"]
        return [v / mpmath.mpf(repr(float(fct))) for v, fct in zip(mp_default(theta, dim, n), factors)]
    return None


def with_exact(ref, rope_type, rp, max_pos, seq_len):
    """Adds the mpmath inv_freq when it agrees with torch's within 16 float32 ulps for some rotary dim."""
    n = len(ref["inv_freq"])
    for dim in (2 * n, 2 * n - 1):
        try:
            exact = exact_inv_freq(rope_type, rp, dim, n, max_pos, seq_len)
        except Exception:
            exact = None
        if exact is None:
            return None
        if all(abs(float(e) - t) <= 16 * ulp32(t) for e, t in zip(exact, ref["inv_freq"])):
            return [float(e) for e in exact]
    return None


def module_rope_parameters(rope, layer_type):
    rp = getattr(getattr(rope, "config", None), "rope_parameters", None)
    if isinstance(rp, dict) and layer_type is not None and isinstance(rp.get(layer_type), dict):
        return rp[layer_type]
    return rp if isinstance(rp, dict) and not is_per_layer(rp) else {}


def reference(tc, cls, needs_forward):
    rope = cls(config=tc)
    max_pos = int(getattr(tc, "max_position_embeddings"))
    rope_type = getattr(rope, "rope_type", None)
    layer_types = getattr(rope, "layer_types", None)
    entries = []
    if isinstance(rope_type, dict) and layer_types:
        for lt in layer_types:
            if lt in rope_type:
                entries.append((lt, rope_type[lt], f"{lt}_inv_freq", f"{lt}_attention_scaling"))
    else:
        entries.append((None, rope_type, "inv_freq", "attention_scaling"))
    layers = []
    for lt, rt, inv_name, att_name in entries:
        out = forward(rope, lt)
        if out is None and (needs_forward or rt in ("dynamic", "longrope")):
            raise RuntimeError("this harness cannot drive the module's forward, so the dynamic or longrope update "
                               "would not happen")
        cos, sin = out if out is not None else (None, None)
        inv = getattr(rope, inv_name).detach().float().flatten()
        att = getattr(rope, att_name)
        att = float(att.item() if torch.is_tensor(att) else att)
        n = inv.numel()
        layer = {"layer_type": lt, "rope_type": rt if isinstance(rt, str) else None,
                 "inv_freq": inv.tolist(), "attention_factor": att}
        c = None if cos is None else per_frequency(cos, n)
        s = None if sin is None else per_frequency(sin, n)
        layer["cos"] = None if c is None else f32_b64(c)
        layer["sin"] = None if s is None else f32_b64(s)
        if isinstance(rt, str):
            exact = with_exact(layer, rt, module_rope_parameters(rope, lt), max_pos, CONTEXT_LENGTH)
            layer["inv_freq_exact"] = None if exact is None else f64_b64(exact)
        else:
            layer["inv_freq_exact"] = None
        layer["inv_freq"] = f32_b64(layer["inv_freq"])
        layers.append(layer)
    return layers


def build(mt, d):
    cfg = CONFIG_MAPPING[mt].from_dict(d) if d is not None else CONFIG_MAPPING[mt]()
    return cfg, text_config(cfg)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--only", default=None, help="comma-separated model types")
    ap.add_argument("--shard", default="0/1", help="I/N: only every N-th model type from the I-th, to run in parallel")
    ap.add_argument("--sources", default=None, help="also write the source of each rotary and config class here")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    outs = {f: gzip.open(os.path.join(a.outdir, f + ".jsonl.gz"), "wt") for f in FORMS}
    not_driven = open(os.path.join(a.outdir, "not-driven.jsonl"), "w")
    sources = {}
    counts = collections.Counter()
    names = sorted(CONFIG_MAPPING.keys()) if not a.only else a.only.split(",")
    index, count = (int(x) for x in a.shard.split("/"))
    names = names[index::count]

    def skip(mt, form, reason):
        counts[(form, "not driven")] += 1
        not_driven.write(json.dumps({"model_type": mt, "form": form, "reason": reason}) + "\n")

    for mt in names:
        try:
            cfg, tc = build(mt, None)
        except Exception as e:
            skip(mt, "*", f"transformers cannot build its default config: {e!r}"[:300])
            continue
        if not hasattr(tc, "max_position_embeddings") or not isinstance(getattr(tc, "max_position_embeddings"), int):
            skip(mt, "*", "its text config has no max_position_embeddings (no rotary text model)")
            continue
        cls = rotary_class(tc)
        if cls is None:
            skip(mt, "*", "its text model has no *RotaryEmbedding module")
            continue
        if a.sources:
            for obj in (cls, type(tc)):
                try:
                    sources.setdefault(obj.__module__ + "." + obj.__name__, inspect.getsource(obj))
                except Exception:
                    pass
        base_text = cfg.to_json_string(use_diff=False)
        try:
            base_layers = reference(tc, cls, False)
        except Exception as e:
            skip(mt, "*", f"its rotary module fails on its default config: {e!r}"[:300])
            continue
        n = len(np.frombuffer(base64.b64decode(base_layers[0]["inv_freq"]), dtype="<f4"))
        for form in FORMS:
            try:
                if form == "v5":
                    text, layers = base_text, base_layers
                else:
                    d = json.loads(base_text)
                    d = to_v4(d) if form == "v4" else inject(d, form, n)
                    if d is None:
                        skip(mt, form, "its config has no RoPE dictionary with rope_theta to rewrite")
                        continue
                    text = json.dumps(d, indent=2, sort_keys=False)
                    try:
                        _, ftc = build(mt, json.loads(text))
                    except Exception as e:
                        skip(mt, form, f"transformers cannot load this form: {e!r}"[:300])
                        continue
                    try:
                        layers = reference(ftc, cls, form in ("dynamic", "longrope"))
                    except Exception as e:
                        skip(mt, form, f"its rotary module fails on this form: {e!r}"[:300])
                        continue
                rec = {"model_type": mt, "form": form, "transformers": transformers.__version__,
                       "torch": torch.__version__, "rotary_class": cls.__name__,
                       "context_length": CONTEXT_LENGTH, "positions": POSITIONS, "config": text, "layers": layers}
                outs[form].write(json.dumps(rec) + "\n")
                counts[(form, "driven")] += 1
            except Exception:
                skip(mt, form, "generator error: " + traceback.format_exc()[-300:])
    for f in outs.values():
        f.close()
    if a.sources:
        with gzip.open(a.sources, "wt") as f:
            json.dump(sources, f)
    not_driven.close()
    for form in FORMS:
        print(f"{form}: driven {counts[(form, 'driven')]}, not driven {counts[(form, 'not driven')]}")
    print(f"not driven at all: {counts[('*', 'not driven')]}")
    print(f"transformers {transformers.__version__}, torch {torch.__version__}")


if __name__ == "__main__":
    main()
