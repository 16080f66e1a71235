"""Writes small GGUF files from golden-set config.json files, with the metadata and rope tensors that llama.cpp's
convert_hf_to_gguf.py writes for those configs, plus one dummy weight tensor placed before the rope tensors so
that a reader has to seek past weight data to reach them.

Usage (needs the gguf package, 0.19.0, and numpy):

    python make_gguf.py [OUTPUT_FOLDER]

The output folder defaults to this script's folder. The files are committed; GgufConfigTest compares what
ropeforge derives from each with the same model's config.json.
"""
import json
import math
import pathlib
import sys

import gguf
import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
CONFIGS = HERE.parent / "golden" / "configs"

# file name -> (golden config, GGUF architecture); Mistral converts to the llama architecture.
MODELS = {
    "llama-3.1-8b-instruct": ("meta-llama__Llama-3.1-8B-Instruct.json", "llama"),
    "llama-2-7b": ("meta-llama__Llama-2-7b-hf.json", "llama"),
    "mistral-7b-instruct-v0.3": ("mistralai__Mistral-7B-Instruct-v0.3.json", "llama"),
    "qwen2.5-7b-instruct-yarn": ("Qwen__Qwen2.5-7B-Instruct-yarn.json", "qwen2"),
    "phi-3-mini-128k-instruct": ("microsoft__Phi-3-mini-128k-instruct.json", "phi3"),
}


def rope_scaling(config):
    scaling = config.get("rope_scaling") or {}
    return scaling, scaling.get("rope_type", scaling.get("type"))


def llama3_rope_freqs(config, rope_dim):
    # As the converter computes them: float32 frequencies and float32 arithmetic, stored as float32.
    scaling, _ = rope_scaling(config)
    base = np.float32(config.get("rope_theta", 10000.0))
    freqs = np.float32(1.0) / (base ** (np.arange(0, rope_dim, 2, dtype=np.float32) / np.float32(rope_dim)))
    factor = np.float32(scaling.get("factor", 8.0))
    low = np.float32(scaling.get("low_freq_factor", 1.0))
    high = np.float32(scaling.get("high_freq_factor", 4.0))
    old_context = np.float32(scaling.get("original_max_position_embeddings", 8192))
    low_wavelen = old_context / low
    high_wavelen = old_context / high
    factors = []
    for freq in freqs:
        wavelen = np.float32(2 * math.pi) / freq
        if wavelen < high_wavelen:
            factors.append(np.float32(1.0))
        elif wavelen > low_wavelen:
            factors.append(factor)
        else:
            smooth = (old_context / wavelen - low) / (high - low)
            factors.append(np.float32(1.0) / ((np.float32(1.0) - smooth) / factor + smooth))
    return np.array(factors, dtype=np.float32)


def write(name, config, arch, out):
    writer = gguf.GGUFWriter(str(out / (name + ".gguf")), arch)
    writer.add_name(name)
    # A string array and a float array, as a tokenizer writes them: the reader has to step over typed arrays.
    writer.add_tokenizer_model("llama")
    writer.add_token_list(["<unk>", "<s>", "</s>", "rope", "forge"])
    writer.add_token_scores([0.0, 0.0, 0.0, -1.5, -2.5])
    hidden = config["hidden_size"]
    heads = config["num_attention_heads"]
    head_dim = config.get("head_dim") or hidden // heads
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(hidden)
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_head_count(heads)
    writer.add_head_count_kv(config.get("num_key_value_heads", heads))
    if config.get("head_dim") is not None:
        writer.add_key_length(head_dim)
        writer.add_value_length(head_dim)
    if "rope_theta" in config:
        writer.add_rope_freq_base(config["rope_theta"])
    scaling, rope_type = rope_scaling(config)
    tensors = []
    if arch == "phi3":
        rope_dim = int(config.get("partial_rotary_factor", 1.0) * hidden) // heads
        writer.add_rope_dimension_count(rope_dim)
        original = config["original_max_position_embeddings"]
        writer.add_rope_scaling_orig_ctx_len(original)
        scale = config["max_position_embeddings"] / original
        attn_factor = math.sqrt(1 + math.log(scale) / math.log(original)) if scale > 1.0 else 1.0
        writer.add_rope_scaling_attn_factors(attn_factor)
        tensors.append(("rope_factors_long.weight", np.array(scaling["long_factor"], dtype=np.float32)))
        tensors.append(("rope_factors_short.weight", np.array(scaling["short_factor"], dtype=np.float32)))
    else:
        if arch == "llama":
            writer.add_rope_dimension_count(head_dim)
        if rope_type == "linear":
            writer.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
            writer.add_rope_scaling_factor(scaling["factor"])
        elif rope_type == "yarn":
            writer.add_rope_scaling_type(gguf.RopeScalingType.YARN)
            writer.add_rope_scaling_factor(scaling["factor"])
            writer.add_rope_scaling_orig_ctx_len(scaling["original_max_position_embeddings"])
            for key, add in (("beta_fast", writer.add_rope_scaling_yarn_beta_fast),
                             ("beta_slow", writer.add_rope_scaling_yarn_beta_slow)):
                if key in scaling:
                    add(scaling[key])
        elif rope_type == "llama3":
            tensors.append(("rope_freqs.weight", llama3_rope_freqs(config, head_dim)))
    # A weight of 64 KiB in front of the rope tensors: the reader must seek past it, not read it.
    rng = np.random.default_rng(12)
    writer.add_tensor("token_embd.weight", rng.standard_normal((64, 256)).astype(np.float32))
    for tensor_name, values in tensors:
        writer.add_tensor(tensor_name, values)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def main():
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    out.mkdir(parents=True, exist_ok=True)
    for name, (config_file, arch) in MODELS.items():
        config = json.loads((CONFIGS / config_file).read_text())
        write(name, config, arch, out)
    # The golden config each file comes from, for the tests.
    (out / "sources.json").write_text(json.dumps({k: v[0] for k, v in MODELS.items()}, indent=2) + "\n")


if __name__ == "__main__":
    main()
