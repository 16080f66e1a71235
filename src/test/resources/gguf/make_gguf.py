"""Writes small GGUF files from config.json files (the golden set's, and real-ish ones under configs/), with the
metadata and rope tensors that llama.cpp's convert_hf_to_gguf.py writes for those configs and architectures, plus
one dummy weight tensor placed before the rope tensors so that a reader has to seek past weight data to reach
them.

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
# Config paths below are relative to the test resources folder.
RESOURCES = HERE.parent

# file name -> (config, GGUF architecture); Mistral and Mixtral convert to the llama architecture.
MODELS = {
    "llama-3.1-8b-instruct": ("golden/configs/meta-llama__Llama-3.1-8B-Instruct.json", "llama"),
    "llama-2-7b": ("golden/configs/meta-llama__Llama-2-7b-hf.json", "llama"),
    "mistral-7b-instruct-v0.3": ("golden/configs/mistralai__Mistral-7B-Instruct-v0.3.json", "llama"),
    "qwen2.5-7b-instruct-yarn": ("golden/configs/Qwen__Qwen2.5-7B-Instruct-yarn.json", "qwen2"),
    "phi-3-mini-128k-instruct": ("golden/configs/microsoft__Phi-3-mini-128k-instruct.json", "phi3"),
    "mixtral-8x7b": ("golden/configs/mistralai__Mixtral-8x7B-v0.1.json", "llama"),
    "qwen3-8b": ("golden/configs/Qwen__Qwen3-8B.json", "qwen3"),
    "qwen1.5-moe-a2.7b": ("gguf/configs/Qwen__Qwen1.5-MoE-A2.7B.json", "qwen2moe"),
    "qwen3-30b-a3b": ("gguf/configs/Qwen__Qwen3-30B-A3B.json", "qwen3moe"),
    "gemma-7b": ("gguf/configs/google__gemma-7b.json", "gemma"),
    "gemma-2-9b": ("golden/configs/google__gemma-2-9b.json", "gemma2"),
    "gemma-3-27b-it": ("golden/configs/google__gemma-3-27b-it.json", "gemma3"),
    "olmo-7b-0724": ("gguf/configs/allenai__OLMo-7B-0724-hf.json", "olmo"),
    "olmo-2-1124-7b": ("gguf/configs/allenai__OLMo-2-1124-7B.json", "olmo2"),
    "granite-3.1-8b-instruct": ("gguf/configs/ibm-granite__granite-3.1-8b-instruct.json", "granite"),
    "starcoder2-7b": ("gguf/configs/bigcode__starcoder2-7b.json", "starcoder2"),
    "c4ai-command-r-v01": ("gguf/configs/CohereForAI__c4ai-command-r-v01.json", "command-r"),
    "phi-1": ("golden/configs/microsoft__phi-1.json", "phi2"),
    "phi-2": ("gguf/configs/microsoft__phi-2.json", "phi2"),
    "stablelm-2-1.6b": ("gguf/configs/stabilityai__stablelm-2-1_6b.json", "stablelm"),
    "pythia-1.4b": ("golden/configs/EleutherAI__pythia-1.4b.json", "gptneox"),
    "glm-4-9b-0414": ("golden/configs/THUDM__GLM-4-9B-0414.json", "glm4"),
    "deepseek-v2-lite": ("golden/configs/deepseek-ai__DeepSeek-V2-Lite.json", "deepseek2"),
    "deepseek-v3": ("golden/configs/deepseek-ai__DeepSeek-V3.json", "deepseek2"),
}
# The first five keep their 64 KiB weight; the others get a 4 KiB one, to keep the committed files small.
LARGE_WEIGHT = {"llama-3.1-8b-instruct", "llama-2-7b", "mistral-7b-instruct-v0.3", "qwen2.5-7b-instruct-yarn",
                "phi-3-mini-128k-instruct"}
# Converters that write no freq_base (llama.cpp then uses 10000): Gemma, Gemma 2, Phi-2, GPT-NeoX.
NO_FREQ_BASE = {"gemma", "gemma2", "phi2", "gptneox"}
# Converters that write the rotated part of the head as rope.dimension_count, from the config's partial factor
# (GPT-NeoX's rotary_pct, StableLM's partial_rotary_factor or rope_pct, GLM-4's partial_rotary_factor, 0.5 by
# default) or, for Phi-2, int(partial_rotary_factor * hidden_size) // heads.
PARTIAL = {"phi2", "stablelm", "gptneox", "glm4"}


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


def partial_rope_dim(config, arch, head_dim):
    hidden = config["hidden_size"]
    heads = config["num_attention_heads"]
    if arch == "phi2":
        return int(config["partial_rotary_factor"] * hidden) // heads
    if arch == "gptneox":
        return int(config["rotary_pct"] * (hidden // heads))
    if arch == "stablelm":
        return int(config.get("partial_rotary_factor", config.get("rope_pct")) * (hidden // heads))
    return int(head_dim * config.get("partial_rotary_factor", 0.5))  # glm4


def write(name, config, arch, out, split_max_tensors=0, extra_weights=0):
    if arch == "gemma3":
        # The converter reads the text config with transformers' defaults filled in (Gemma3TextConfig's
        # max_position_embeddings 131072, head_dim 256, rope_theta 1e6).
        config = dict(config.get("text_config", config))
        config.setdefault("max_position_embeddings", 131072)
        config.setdefault("head_dim", 256)
        config.setdefault("rope_theta", 1000000.0)
    writer = gguf.GGUFWriter(str(out / (name + ".gguf")), arch, split_max_tensors=split_max_tensors)
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
    if arch == "deepseek2":
        # Multi-head latent attention: the compressed widths under the plain keys, the per-head ones under _mla.
        writer.add_key_length(config["kv_lora_rank"] + config["qk_rope_head_dim"])
        writer.add_value_length(config["kv_lora_rank"])
        writer.add_key_length_mla(config["qk_nope_head_dim"] + config["qk_rope_head_dim"])
        writer.add_value_length_mla(config["v_head_dim"])
        writer.add_rope_dimension_count(config["qk_rope_head_dim"])
    elif config.get("head_dim") is not None:
        writer.add_key_length(head_dim)
        writer.add_value_length(head_dim)
    if arch in PARTIAL:
        writer.add_rope_dimension_count(partial_rope_dim(config, arch, head_dim))
    if "rope_theta" in config and arch not in NO_FREQ_BASE:
        writer.add_rope_freq_base(config["rope_theta"])
    if arch == "gemma3":
        writer.add_sliding_window(config["sliding_window"])
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
            if arch == "deepseek2":
                writer.add_rope_scaling_yarn_log_mul(0.1 * scaling["mscale_all_dim"])
        elif rope_type == "llama3":
            tensors.append(("rope_freqs.weight", llama3_rope_freqs(config, head_dim)))
    # A weight of 64 KiB in front of the rope tensors: the reader must seek past it, not read it.
    rng = np.random.default_rng(12)
    shape = (64, 256) if name in LARGE_WEIGHT else (16, 64)
    writer.add_tensor("token_embd.weight", rng.standard_normal(shape).astype(np.float32))
    for i in range(extra_weights):
        writer.add_tensor(f"blk.{i}.attn_q.weight", rng.standard_normal((16, 64)).astype(np.float32))
    for tensor_name, values in tensors:
        writer.add_tensor(tensor_name, values)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


# Models also written split, one tensor per shard: name -> extra weight tensors before the rope tensors.
SPLIT = {"llama-3.1-8b-instruct": 1, "phi-3-mini-128k-instruct": 0}

# Headers the mapping refuses (no weights): file name -> (architecture, {key under the architecture: value}[,
# {rope tensor: values}]).
# Each is what a converter writes for a model whose RoPE the header cannot give back, or a header that
# contradicts itself; GgufRefusalTest names the key and rule of each.
REFUSED = {
    # Cohere 2: per-layer-type RoPE (rotation on the sliding-window layers only), not mapped.
    "cohere2": ("cohere2", {"rope.freq_base": 50000.0}),
    # Gemma 3 without a sliding window: llama.cpp versions differ on whether it then has local layers.
    "gemma3-no-window": ("gemma3", {"rope.freq_base": 1000000.0}),
    # Gemma 3 with a sliding-window base other than the 10000 llama.cpp fixes.
    "gemma3-swa-base": ("gemma3", {"attention.sliding_window": 1024, "rope.freq_base": 1000000.0,
                                   "rope.freq_base_swa": 20000.0}),
    "gemma3-rope-freqs": ("gemma3", {"attention.sliding_window": 1024},
                          {"rope_freqs.weight": np.ones(64, dtype=np.float32)}),
    "gemma3-yarn": ("gemma3", {"attention.sliding_window": 1024, "rope.scaling.type": "yarn",
                               "rope.scaling.factor": 8.0, "rope.scaling.original_context_length": 8192}),
    # GLM-4V converts to glm4 with multimodal sections.
    "glm4-sections": ("glm4", {"rope.dimension_count": 64, "rope.dimension_sections": [8, 12, 12, 0]}),
    # A MoE Qwen rotates the whole head in transformers; a partial dimension has no config field.
    "qwen2moe-partial": ("qwen2moe", {"rope.dimension_count": 64}),
    "gptneox-odd": ("gptneox", {"rope.dimension_count": 33}),
    "gptneox-wider": ("gptneox", {"rope.dimension_count": 256}),
    "deepseek2-no-rope-dim": ("deepseek2", {}),
    "deepseek2-yarn-no-mscale": ("deepseek2", {"rope.dimension_count": 64, "rope.scaling.type": "yarn",
                                              "rope.scaling.factor": 40.0,
                                              "rope.scaling.original_context_length": 4096}),
    "deepseek2-mscale-no-yarn": ("deepseek2", {"rope.dimension_count": 64,
                                              "rope.scaling.yarn_log_multiplier": 0.1}),
    "llama-log-multiplier": ("llama", {"rope.scaling.type": "yarn", "rope.scaling.factor": 4.0,
                                       "rope.scaling.original_context_length": 4096,
                                       "rope.scaling.yarn_log_multiplier": 0.1}),
}


def write_refused(name, arch, keys, out, tensors=None):
    writer = gguf.GGUFWriter(str(out / (name + ".gguf")), arch)
    writer.add_context_length(4096)
    writer.add_embedding_length(4096)
    writer.add_head_count(32)
    writer.add_head_count_kv(32)
    for key, value in keys.items():
        full = arch + "." + key
        if isinstance(value, str):
            writer.add_string(full, value)
        elif isinstance(value, list):
            writer.add_array(full, value)
        elif isinstance(value, float):
            writer.add_float32(full, value)
        else:
            writer.add_uint32(full, value)
    for tensor_name, values in (tensors or {}).items():
        writer.add_tensor(tensor_name, values)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def write_duplicate_split(config, out):
    # Two shards written one by one, with the split keys set by hand (as gguf-split writes them: uint16 number
    # and count, int32 tensor count): both hold rope_factors_short, which the reader must refuse.
    names = [out / f"dup-rope-{n:05d}-of-00002.gguf" for n in (1, 2)]
    scaling, _ = rope_scaling(config)
    short = np.array(scaling["short_factor"], dtype=np.float32)
    for n, path in enumerate(names):
        writer = gguf.GGUFWriter(str(path), "phi3")
        writer.add_uint16(gguf.Keys.Split.LLM_KV_SPLIT_NO, n)
        writer.add_uint16(gguf.Keys.Split.LLM_KV_SPLIT_COUNT, 2)
        writer.add_int32(gguf.Keys.Split.LLM_KV_SPLIT_TENSORS_COUNT, 3)
        if n == 0:
            hidden = config["hidden_size"]
            heads = config["num_attention_heads"]
            writer.add_context_length(config["max_position_embeddings"])
            writer.add_embedding_length(hidden)
            writer.add_head_count(heads)
            writer.add_rope_dimension_count(hidden // heads)
            writer.add_rope_scaling_orig_ctx_len(config["original_max_position_embeddings"])
            writer.add_tensor("rope_factors_long.weight", np.array(scaling["long_factor"], dtype=np.float32))
        writer.add_tensor("rope_factors_short.weight", short)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()


def main():
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    out.mkdir(parents=True, exist_ok=True)
    for name, (config_file, arch) in MODELS.items():
        config = json.loads((RESOURCES / config_file).read_text())
        write(name, config, arch, out)
    # Split models, as gguf-split and the converter's --split-max-tensors write them: one tensor per shard, so
    # that the rope tensors sit in the last shards and the metadata in the first only.
    split = out / "split"
    split.mkdir(exist_ok=True)
    for name, extra in SPLIT.items():
        config_file, arch = MODELS[name]
        write(name, json.loads((RESOURCES / config_file).read_text()), arch, split, split_max_tensors=1,
              extra_weights=extra)
    refused = out / "refused"
    refused.mkdir(exist_ok=True)
    for name, (arch, keys, *tensors) in REFUSED.items():
        write_refused(name, arch, keys, refused, *tensors)
    write_duplicate_split(json.loads((RESOURCES / MODELS["phi-3-mini-128k-instruct"][0]).read_text()), refused)
    # The config each file comes from, for the tests.
    (out / "sources.json").write_text(json.dumps({k: v[0] for k, v in MODELS.items()}, indent=2) + "\n")


if __name__ == "__main__":
    main()
