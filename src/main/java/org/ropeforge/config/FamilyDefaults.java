package org.ropeforge.config;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What transformers' per-model config classes assume when a field is absent (../shared/research/anchors.md
 * §2.1), keyed by model family. Only RoPE-relevant fields are listed; everything else falls back to the
 * Llama defaults that most config classes share.
 */
final class FamilyDefaults {
  /** transformers' default rope_theta when a config has none. */
  static final double DEFAULT_THETA = 10_000.0;
  /** LlamaConfig's max_position_embeddings, used when a config names no length at all. */
  static final long DEFAULT_MAX_POSITIONS = 2048;

  private static final Map<String, Double> THETA = Map.of(
      "gemma3", 1_000_000.0,
      "gemma3n", 1_000_000.0,
      "t5gemma2", 1_000_000.0,
      "t5gemma2_decoder", 1_000_000.0,
      "gemma4", 1_000_000.0,
      "llama4", 500_000.0,
      "gpt_oss", 150_000.0,
      "ministral3", 1_000_000.0);

  private static final Map<String, Long> MAX_POSITIONS = Map.of(
      "gemma3", 131_072L,
      "gemma2", 8_192L,
      "gemma", 8_192L,
      "llama4", 131_072L,
      "mistral", 131_072L,
      "qwen2", 32_768L,
      "phi3", 4_096L,
      "gpt_oss", 131_072L,
      "deepseek_v3", 4_096L);

  private static final Map<String, Integer> HEAD_DIM = Map.of(
      "gemma3", 256,
      "gemma2", 256,
      "gemma", 256,
      "gemma4", 256,
      "llama4", 128,
      "gpt_oss", 64);

  private static final Map<String, Double> PARTIAL = Map.of(
      "glm", 0.5,
      "glm4", 0.5,
      "phi", 0.5,
      "persimmon", 0.5,
      "stablelm", 0.25,
      "gpt_neox", 0.25,
      "qwen3_next", 0.25,
      "chatglm", 0.5);

  /**
   * Families whose own plain-RoPE function ignores partial_rotary_factor in transformers (the scaled
   * variants still apply it). Everyone else's default honours it.
   */
  private static final Set<String> DEFAULT_IGNORES_PARTIAL = Set.of("llama", "falcon", "deepseek_v2",
      "deepseek_v3", "mllama", "llama4", "mistral", "mixtral", "qwen2", "qwen3");

  /** Gemma 4 style families: full-attention layers rotate over global_head_dim. */
  static final Set<String> GLOBAL_HEAD_DIM = Set.of("gemma4", "gemma4_unified", "diffusion_gemma");

  /** Phi-3 style families: legacy su/yarn mean longrope, and the original length defaults to 4096. */
  static final Set<String> PHI3 = Set.of("phi3", "phimoe", "phi4_multimodal");

  /** Qwen2-VL families: ExLlamaV2 stores their inverse frequencies as float16. */
  static final Set<String> QWEN2_VL = Set.of("qwen2_vl", "qwen2_5_vl");

  private FamilyDefaults() {}

  /** The family of a model_type: the text part of multimodal configs shares its parent's defaults. */
  static String family(String modelType) {
    if (modelType == null) {
      return "";
    }
    String t = modelType.toLowerCase(Locale.ROOT);
    for (String suffix : new String[] {"_text_model", "_text", "_moe_text"}) {
      if (t.endsWith(suffix)) {
        return t.substring(0, t.length() - suffix.length());
      }
    }
    return t;
  }

  static Double theta(String family) {
    return THETA.get(family);
  }

  static Long maxPositions(String family) {
    return MAX_POSITIONS.get(family);
  }

  static Integer headDim(String family) {
    return HEAD_DIM.get(family);
  }

  static Double partial(String family) {
    return PARTIAL.get(family);
  }

  static boolean defaultHonoursPartial(String family) {
    return !DEFAULT_IGNORES_PARTIAL.contains(family);
  }
}
