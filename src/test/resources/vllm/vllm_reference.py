"""Reference values for the vllm semantics, following the formulas of vLLM's rotary_embedding package
(get_rope and the classes it builds) with torch on the CPU, written independently of the Java code.

Each case names a config (a golden-set file or an inline dict) and, written out by hand from that config,
the arguments vLLM's model code passes to get_rope: head_size, max_position and the rope_parameters. The Java
test resolves the config itself, so both the config reading and the formulas are checked.

For precision "torch" every tensor op runs in float32 as in vLLM; for "exact" the same formulas run in float64.
Rows are the cos_sin_cache rows [cos_half, sin_half] at a few positions (float32 in torch mode, float64 in
exact mode, before any cast to the model dtype).

    python3 vllm_reference.py > reference.jsonl
"""
import json
import math
import sys

import torch

GOLDEN = "../golden/configs/"

CASES = [
    # name, config, context length, head_size, max_position, rope_parameters, deepseek (MLA)
    ("llama2-default", {"file": "meta-llama__Llama-2-7b-hf.json"}, 4096, 128, 4096,
     {"rope_type": "default", "rope_theta": 10000.0}, False),
    ("phi1-partial", {"file": "microsoft__phi-1.json"}, 2048, 64, 2048,
     {"rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 0.5}, False),
    ("linear-4", {"inline": {"model_type": "llama", "hidden_size": 2048, "num_attention_heads": 16,
                             "max_position_embeddings": 4096, "rope_theta": 10000.0,
                             "rope_scaling": {"rope_type": "linear", "factor": 4.0}}},
     16384, 128, 4096, {"rope_type": "linear", "rope_theta": 10000.0, "factor": 4.0}, False),
    ("dynamic-2", {"inline": {"model_type": "llama", "hidden_size": 1024, "num_attention_heads": 16,
                              "max_position_embeddings": 2048, "rope_theta": 10000.0,
                              "rope_scaling": {"rope_type": "dynamic", "factor": 2.0}}},
     2048, 64, 2048, {"rope_type": "dynamic", "rope_theta": 10000.0, "factor": 2.0}, False),
    ("ntk-alpha", {"inline": {"model_type": "hunyuan_v1_dense", "hidden_size": 4096, "num_attention_heads": 32,
                              "max_position_embeddings": 32768, "rope_theta": 10000.0,
                              "rope_scaling": {"type": "dynamic", "alpha": 1000.0, "factor": 1.0}}},
     32768, 128, 32768, {"rope_type": "dynamic", "rope_theta": 10000.0, "alpha": 1000.0}, False),
    ("qwen2.5-yarn", {"file": "Qwen__Qwen2.5-7B-Instruct-yarn.json"}, 131072, 128, 32768,
     {"rope_type": "yarn", "rope_theta": 1000000.0, "factor": 4.0, "original_max_position_embeddings": 32768},
     False),
    ("yarn-attn-factor", {"inline": {"model_type": "llama", "hidden_size": 4096, "num_attention_heads": 32,
                                     "max_position_embeddings": 8192, "rope_theta": 500000.0,
                                     "rope_scaling": {"rope_type": "yarn", "factor": 8.0, "attn_factor": 0.8,
                                                      "extrapolation_factor": 0.5, "beta_fast": 16,
                                                      "beta_slow": 2, "attention_factor": 1.5,
                                                      "original_max_position_embeddings": 8192}}},
     65536, 128, 8192, {"rope_type": "yarn", "rope_theta": 500000.0, "factor": 8.0, "attn_factor": 0.8,
                        "extrapolation_factor": 0.5, "beta_fast": 16, "beta_slow": 2,
                        "original_max_position_embeddings": 8192}, False),
    ("deepseek-v3", {"file": "deepseek-ai__DeepSeek-V3.json"}, 163840, 64, 163840,
     {"rope_type": "deepseek_yarn", "rope_theta": 10000, "factor": 40, "beta_fast": 32, "beta_slow": 1,
      "mscale": 1.0, "mscale_all_dim": 1.0, "original_max_position_embeddings": 4096}, True),
    ("phi3-128k-short", {"file": "microsoft__Phi-3-mini-128k-instruct.json"}, 4096, 96, 131072,
     {"rope_type": "longrope", "rope_theta": 10000.0, "original_max_position_embeddings": 4096}, False),
    ("phi3-128k-long", {"file": "microsoft__Phi-3-mini-128k-instruct.json"}, 131072, 96, 131072,
     {"rope_type": "longrope", "rope_theta": 10000.0, "original_max_position_embeddings": 4096}, False),
    ("llama3.1", {"file": "meta-llama__Llama-3.1-8B-Instruct.json"}, 131072, 128, 131072,
     {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
      "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}, False),
    ("qwen2.5-vl-mrope", {"file": "Qwen__Qwen2.5-VL-7B-Instruct.json"}, 128000, 128, 128000,
     {"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [16, 24, 24]}, False),
    # The types vLLM has and transformers does not, and the classes model code builds itself.
    ("ntk-fixed", {"inline": {"model_type": "llama", "hidden_size": 4096, "num_attention_heads": 32,
                              "max_position_embeddings": 8192, "rope_theta": 10000.0,
                              "rope_scaling": {"rope_type": "ntk", "factor": 4.0}}},
     8192, 128, 8192, {"rope_type": "ntk", "rope_theta": 10000.0, "factor": 4.0}, False),
    ("ntk-mixed", {"inline": {"model_type": "llama", "hidden_size": 2048, "num_attention_heads": 32,
                              "max_position_embeddings": 4096, "rope_theta": 10000.0,
                              "rope_scaling": {"rope_type": "ntk", "factor": 8.0, "mixed_b": 0.75}}},
     4096, 64, 4096, {"rope_type": "ntk", "rope_theta": 10000.0, "factor": 8.0, "mixed_b": 0.75}, False),
    ("proportional", {"inline": {"model_type": "llama", "hidden_size": 4096, "num_attention_heads": 16,
                                 "head_dim": 256, "max_position_embeddings": 131072,
                                 "rope_parameters": {"rope_type": "proportional", "rope_theta": 1000000.0,
                                                     "partial_rotary_factor": 0.25, "factor": 2.0}}},
     131072, 256, 131072, {"rope_type": "proportional", "rope_theta": 1000000.0, "partial_rotary_factor": 0.25},
     False),
    ("xdrope", {"inline": {"model_type": "hunyuan_v1_dense", "hidden_size": 4096, "num_attention_heads": 32,
                           "max_position_embeddings": 32768, "rope_theta": 10000.0,
                           "rope_scaling": {"rope_type": "xdrope", "alpha": 1000.0,
                                            "xdrope_section": [16, 16, 16, 16]}}},
     32768, 128, 32768, {"rope_type": "xdrope", "rope_theta": 10000.0, "alpha": 1000.0}, False),
    ("openpangu", {"inline": {"model_type": "openpangu", "hidden_size": 4096, "num_attention_heads": 32,
                              "max_position_embeddings": 32768,
                              "rope_parameters": {"rope_type": "openpangu", "rope_theta": 1000000.0,
                                                  "mrope_section": [16, 24, 24], "mrope_interleaved": True}}},
     32768, 128, 32768, {"rope_type": "openpangu", "rope_theta": 1000000.0}, False),
    ("telechat3-yarn", {"inline": {"model_type": "telechat3", "hidden_size": 4096, "num_attention_heads": 32,
                                   "max_position_embeddings": 32768, "rope_theta": 1000000.0,
                                   "rope_scaling": {"rope_type": "telechat3-yarn", "factor": 4.0,
                                                    "attn_factor": 1.1,
                                                    "original_max_position_embeddings": 8192}}},
     32768, 128, 8192, {"rope_type": "telechat3-yarn", "rope_theta": 1000000.0, "factor": 4.0, "attn_factor": 1.1,
                        "original_max_position_embeddings": 8192}, False),
    ("grok1-yarn-log", {"inline": {"architectures": ["Grok1ForCausalLM"], "model_type": "grok-1",
                                   "hidden_size": 6144, "num_attention_heads": 48, "max_position_embeddings": 131072,
                                   "rope_theta": 208533496.5, "rope_type": "yarn_log", "scaling_factor": 16.0,
                                   "original_max_position_embeddings": 8192}},
     131072, 128, 131072, {"rope_type": "grok1", "method": "yarn_log", "rope_theta": 208533496.5, "factor": 16.0,
                           "original_max_position_embeddings": 8192}, False),
    ("grok1-theta-scale", {"inline": {"architectures": ["Grok1ForCausalLM"], "model_type": "grok-1",
                                      "hidden_size": 6144, "num_attention_heads": 48,
                                      "max_position_embeddings": 32768, "rope_theta": 10000,
                                      "rope_rotate_half_dims": True, "rope_type": "theta_scale",
                                      "scaling_factor": 4.0, "original_max_position_embeddings": 8192}},
     32768, 128, 32768, {"rope_type": "grok1", "method": "theta_scale", "rope_theta": 10000, "factor": 4.0,
                         "original_max_position_embeddings": 8192, "half_dims": True}, False),
    # Without a top-level rope_type Grok1Attention calls get_rope with the config's rope_parameters over
    # hidden_size // num_attention_heads (128 here, whatever head_dim says).
    ("grok1-plain", {"inline": {"architectures": ["Grok1ModelForCausalLM"], "model_type": "grok-1",
                                "hidden_size": 6144, "num_attention_heads": 48, "head_dim": 64,
                                "max_position_embeddings": 8192, "rope_theta": 10000.9}},
     8192, 128, 8192, {"rope_type": "default", "rope_theta": 10000.9}, False),
    ("bailing-mrope", {"inline": {"model_type": "bailing_moe_v3", "hidden_size": 4096, "num_attention_heads": 32,
                                  "qk_rope_head_dim": 64, "max_position_embeddings": 32768,
                                  "rope_parameters": {"rope_type": "default", "rope_theta": 6000000.0,
                                                      "mrope_section": [8, 12, 12]}}},
     32768, 64, 32768, {"rope_type": "bailing_mrope", "rope_theta": 6000000.0}, False),
    # Bailing V3's attention drops partial_rotary_factor before get_rope: plain RoPE over the whole rope head.
    ("bailing-v3-partial-dropped", {"inline": {"model_type": "bailing_moe_v3", "hidden_size": 4096,
                                               "num_attention_heads": 32, "qk_rope_head_dim": 64,
                                               "partial_rotary_factor": 0.5, "max_position_embeddings": 32768,
                                               "rope_theta": 6000000.0}},
     32768, 64, 32768, {"rope_type": "default", "rope_theta": 6000000.0}, False),
]


def config_of(spec):
    if "file" in spec:
        with open(GOLDEN + spec["file"]) as f:
            return json.load(f)
    return spec["inline"]


def arange_ladder(rotary_dim, dtype):
    return torch.arange(0, rotary_dim, 2, dtype=dtype) / rotary_dim


def plain_inv_freq(base, rotary_dim, dtype):
    return 1.0 / (base ** arange_ladder(rotary_dim, dtype))


def yarn_mscale(scale, mscale=1.0):
    return 1.0 if scale <= 1 else 0.1 * mscale * math.log(scale) + 1.0


def correction_range(low_rot, high_rot, dim, base, length, truncate):
    def dim_of(rotations):
        return (dim * math.log(length / (rotations * 2 * math.pi))) / (2 * math.log(base))
    low, high = dim_of(low_rot), dim_of(high_rot)
    if truncate:
        low, high = math.floor(low), math.ceil(high)
    return max(low, 0), min(high, dim - 1)


def yarn_inv_freq(base, rotary_dim, factor, low, high, extrapolation, dtype):
    pos = base ** arange_ladder(rotary_dim, dtype)
    extra = 1.0 / pos
    inter = 1.0 / (factor * pos)
    if low == high:
        high += 0.001
    ramp = torch.clamp((torch.arange(rotary_dim // 2, dtype=dtype) - low) / (high - low), 0, 1)
    mask = (1 - ramp) * extrapolation
    return inter * (1 - mask) + extra * mask


def vllm_params(case, config, dtype):
    """inv_freq, mscale, position divisor (linear) and rope type label, as vLLM's classes compute them."""
    name, _, length, head_size, max_position, rp, deepseek = case
    rotary_dim = int(head_size * rp.get("partial_rotary_factor", 1.0))
    base = rp["rope_theta"]
    kind = rp["rope_type"]
    if kind == "default":
        return plain_inv_freq(base, rotary_dim, dtype), 1.0, 1.0, "default"
    if kind == "linear":
        return plain_inv_freq(base, rotary_dim, dtype), 1.0, rp["factor"], "linear"
    if kind == "dynamic" and "alpha" in rp:
        grown = base * rp["alpha"] ** (rotary_dim / (rotary_dim - 2))
        return plain_inv_freq(grown, rotary_dim, dtype), 1.0, 1.0, "ntk_alpha"
    if kind == "dynamic":
        f = rp["factor"]
        max_len = max_position * f
        grown = base * ((f * max_len / max_position) - (f - 1)) ** (rotary_dim / (rotary_dim - 2))
        return plain_inv_freq(grown, rotary_dim, dtype), 1.0, 1.0, "dynamic"
    if kind == "yarn":
        f = rp["factor"]
        low, high = correction_range(rp.get("beta_fast", 32), rp.get("beta_slow", 1), rotary_dim, base,
                                     rp["original_max_position_embeddings"], rp.get("truncate", True))
        inv = yarn_inv_freq(base, rotary_dim, f, low, high, rp.get("extrapolation_factor", 1), dtype)
        attn = rp.get("attn_factor", 1)
        mscale = yarn_mscale(f) * attn if rp.get("apply_yarn_scaling", True) else attn
        return inv, mscale, 1.0, "yarn"
    if kind == "deepseek_yarn":
        f = rp["factor"]
        low, high = correction_range(rp.get("beta_fast", 32), rp.get("beta_slow", 1), rotary_dim, base,
                                     rp["original_max_position_embeddings"], True)
        inv = yarn_inv_freq(base, rotary_dim, f, low, high, rp.get("extrapolation_factor", 1), dtype)
        mscale = (yarn_mscale(f, float(rp.get("mscale", 1))) / yarn_mscale(f, float(rp.get("mscale_all_dim", 0)))
                  * rp.get("attn_factor", 1))
        return inv, mscale, 1.0, "deepseek_yarn"
    if kind == "longrope":
        rs = config["rope_scaling"]
        original = rp["original_max_position_embeddings"]
        use_long = length > original
        factors = torch.tensor(rs["long_factor"] if use_long else rs["short_factor"], dtype=dtype)
        scale = max_position / original
        mscale = 1.0 if scale <= 1.0 else math.sqrt(1 + math.log(scale) / math.log(original))
        inv = 1.0 / (factors * (base ** arange_ladder(rotary_dim, dtype)))
        return inv, mscale, 1.0, "longrope"
    if kind == "llama3":
        inv = plain_inv_freq(base, rotary_dim, dtype)
        f, lo, hi = rp["factor"], rp["low_freq_factor"], rp["high_freq_factor"]
        orig = rp["original_max_position_embeddings"]
        low_wl, high_wl = orig / lo, orig / hi
        wave_len = 2 * math.pi / inv
        smooth = (orig / wave_len - lo) / (hi - lo) if lo != hi else 0
        out = torch.where(wave_len < high_wl, inv,
                          torch.where(wave_len > low_wl, inv / f, (1 - smooth) * inv / f + smooth * inv))
        return out, 1.0, 1.0, "llama3"
    if kind == "ntk":
        f = rp["factor"]
        if "mixed_b" not in rp:
            inv = plain_inv_freq(base * f, rotary_dim, dtype) / f ** (2 / rotary_dim)
        else:
            b = rp["mixed_b"]
            a = torch.tensor(f, dtype=dtype).log() / (rotary_dim / 2) ** b
            lam = (a * torch.arange(1, rotary_dim // 2 + 1, dtype=dtype) ** b).exp()
            inv = plain_inv_freq(base, rotary_dim, dtype) / lam
        return inv, 1.0, 1.0, "ntk"
    if kind == "proportional":
        # Gemma4RotaryEmbedding: the table spans the head; exponents over head_size; the rest zero.
        angles = int(head_size * rp.get("partial_rotary_factor", 1.0)) // 2
        rotated = 1.0 / (base ** (torch.arange(0, 2 * angles, 2, dtype=dtype) / head_size))
        inv = torch.cat([rotated, torch.zeros(head_size // 2 - angles, dtype=dtype)])
        return inv, 1.0, 1.0, "proportional"
    if kind == "xdrope":
        grown = base * rp["alpha"] ** (rotary_dim / (rotary_dim - 2))
        return plain_inv_freq(grown, rotary_dim, dtype), 1.0, 1.0, "xdrope"
    if kind == "openpangu":
        return plain_inv_freq(base, rotary_dim, dtype), 1.0, 1.0, "openpangu"
    if kind == "telechat3-yarn":
        f = rp["factor"]
        low, high = correction_range(rp.get("beta_fast", 32), rp.get("beta_slow", 1), rotary_dim, base,
                                     rp["original_max_position_embeddings"], rp.get("truncate", True))
        inv = yarn_inv_freq(base, rotary_dim, f, low, high, rp.get("extrapolation_factor", 1), dtype)
        mscale = (1.0 if f <= 1 else 0.07 * math.log(f) + 1.0) * rp.get("attn_factor", 1)
        return inv, mscale, 1.0, "telechat3-yarn"
    if kind == "grok1":
        # Grok1Attention: head_dim = hidden // heads, half of it with rope_rotate_half_dims, base int(rope_theta);
        # Grok1ScalingRotaryEmbedding's cache is cos/sin without its mscale.
        dim = head_size // 2 if rp.get("half_dims") else head_size
        base = int(base)
        method = rp["method"]
        f, orig = rp["factor"], rp["original_max_position_embeddings"]
        pos = base ** arange_ladder(dim, dtype)
        extra, inter = 1.0 / pos, 1.0 / (f * pos)
        low, high = correction_range(32, 1, dim, base, orig, True)
        if low == high:
            high += 0.001
        ramp = torch.clamp((torch.arange(dim // 2, dtype=dtype) - low) / (high - low), 0, 1)
        mask = (1 - ramp) * 1.0
        if method == "yarn_log":
            inv = torch.exp(torch.log(extra) * mask + torch.log(inter) * (1.0 - mask))
        elif method == "theta_scale":
            scaled = base ** (math.log(orig * f / (2 * math.pi)) / math.log(orig / (2 * math.pi)))
            inv = 1.0 / (scaled ** (torch.arange(0, dim, 2, dtype=dtype) / dim))
        else:
            raise ValueError(method)
        return inv, 1.0, 1.0, "grok1_" + method
    if kind == "bailing_mrope":
        # Bailing's MLA builds BailingMRotaryEmbedding over the whole rope head: plain RoPE.
        return plain_inv_freq(base, head_size, dtype), 1.0, 1.0, "bailing_mrope"
    raise ValueError(kind)


def rows(inv, mscale, divisor, positions, dtype):
    t = torch.tensor(positions, dtype=dtype)
    if divisor != 1.0:
        t = t / divisor
    freqs = torch.einsum("i,j -> ij", t, inv)
    return torch.cat((freqs.cos() * mscale, freqs.sin() * mscale), dim=-1)


def main():
    out = sys.stdout
    for case in CASES:
        name, spec, length = case[0], case[1], case[2]
        config = config_of(spec)
        positions = sorted({0, 1, 7, 1000 % length, length // 2, length - 1})
        for precision, dtype in (("torch", torch.float32), ("exact", torch.float64)):
            inv, mscale, divisor, label = vllm_params(case, config, dtype)
            table = rows(inv, mscale, divisor, positions, dtype)
            record = {"name": name, "precision": precision, "config": spec, "context_length": length,
                      "rope_type": label, "rotary_dim": 2 * inv.shape[0], "position_scale": divisor,
                      "inv_freq": [float(v) for v in inv], "attention_factor": mscale,
                      "positions": positions, "cos_sin": [[float(v) for v in row] for row in table]}
            out.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
