package org.ropeforge.config;

import java.util.Map;
import java.util.Set;
import org.ropeforge.core.RopeConfigException;

/**
 * Model families whose rotary embedding transformers builds in a way these rules do not reproduce yet, found by
 * the conformance suite against transformers' own rotary modules. Each is refused by name with what differs,
 * rather than resolved by the generic rules into a table that would look right and be wrong.
 */
final class UnresolvedFamilies {
  private static final String REFUSED = "; refused rather than resolved by the generic rules";

  /** Always refused: the rotary module differs from the generic rules whatever the config says. */
  private static final Map<String, String> ALWAYS = Map.ofEntries(
      Map.entry("deepseek_v4", "DeepSeek-V4 keeps two rotary embeddings (main, and compress on compress_rope_theta)"
          + " that these rules do not model"),
      Map.entry("ernie4_5_vl_moe", "ERNIE 4.5 VL's text rotary embedding uses its own frequency set for the "
          + "multimodal position axes"),
      Map.entry("jetmoe", "JetMoE rotates over kv_channels, not hidden_size // num_attention_heads"),
      Map.entry("zamba2", "Zamba2's attention rotates over its own attention head dimension, not hidden_size // "
          + "num_attention_heads"),
      Map.entry("mistral4", "Mistral 4's rotary dimension is not the qk_rope_head_dim these rules read"),
      Map.entry("minimax_m3_vl", "MiniMax-M3-VL rotates over a head dimension these rules do not derive"),
      Map.entry("laguna", "Laguna has a single rotary embedding for all its layer types"),
      Map.entry("mellum", "Mellum has a single rotary embedding for all its layer types"),
      Map.entry("zaya", "Zaya has a single rotary embedding for all its layer types"));

  /**
   * Refused only in the HF v4 form (layer_types with one flat RoPE dictionary), which transformers expands into
   * one entry per layer type with each family's own sliding-window parameters.
   */
  private static final Set<String> V4_LAYER_TYPES = Set.of("modernbert", "modernbert-decoder", "modernvbert",
      "olmo3", "pe_audio", "pe_audio_video", "pe_video", "neomme", "mimo_v2_flash", "step3p5", "step3p7", "gemma3n", "t5gemma2", "t5gemma2_decoder", "t5gemma2_encoder");

  private UnresolvedFamilies() {}

  static void refuse(ConfigTree config, boolean perLayerTypeDictionary) {
    String family = config.family();
    String reason = ALWAYS.get(family);
    if (reason == null && !perLayerTypeDictionary && V4_LAYER_TYPES.contains(family)
        && config.text().has("layer_types")) {
      reason = family + ": layer_types with one flat RoPE dictionary (HF v4 form) is expanded by transformers into "
          + "per-layer-type parameters these rules do not reproduce; give per-layer-type rope_parameters";
    }
    if (reason != null) {
      String path = config.textPath("model_type");
      throw new RopeConfigException(config.modelId(), path, '"' + family + '"',
          "= \"" + family + "\" is not supported: " + reason + REFUSED);
    }
  }
}
