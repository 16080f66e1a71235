package org.ropeforge.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.ropeforge.config.TransformersSemantics.HeadDim;
import org.ropeforge.config.TransformersSemantics.LayerSpec;
import org.ropeforge.core.RopeParams;

/**
 * The steps of the transformers normalisation that only some model families take, because their config
 * classes or rotary embeddings differ from the common path. One section per family, so that each can become a
 * class of its own once families are registered by model_type. Families that differ only by a default value
 * (theta, length, head dim, partial factor) are tables in {@link FamilyDefaults}, not rules here.
 */
final class TransformersFamilyRules {
  private TransformersFamilyRules() {}

  // ---------------------------------------------------------------------------------------------------
  // gpt_oss, ministral3

  /**
   * GPT-OSS and Ministral 3 configs may omit their YaRN block: transformers fills in the class defaults. Called
   * when the config has no RoPE dictionary at all.
   */
  static void yarnClassDefaults(String family, RopeParams.Builder b, String path, List<String> rules) {
    if (family.equals("gpt_oss")) {
      b.put("rope_type", "yarn", path + ".rope_type").put("factor", 32.0, path + ".factor")
          .put("beta_fast", 32.0, path + ".beta_fast").put("beta_slow", 1.0, path + ".beta_slow")
          .put("truncate", false, path + ".truncate")
          .put("original_max_position_embeddings", 4096.0, path + ".original_max_position_embeddings");
      rules.add("gpt_oss: no rope_scaling -> YaRN class defaults (factor 32, beta 32/1, truncate false, "
          + "original 4096)");
    } else if (family.equals("ministral3")) {
      b.put("rope_type", "yarn", path + ".rope_type").put("factor", 16.0, path + ".factor")
          .put("beta_fast", 32.0, path + ".beta_fast").put("beta_slow", 1.0, path + ".beta_slow")
          .put("mscale", 1.0, path + ".mscale").put("mscale_all_dim", 1.0, path + ".mscale_all_dim")
          .put("original_max_position_embeddings", 16384.0, path + ".original_max_position_embeddings");
      rules.add("ministral3: no rope_parameters -> YaRN class defaults (factor 16, original 16384, mscale 1/1)");
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // gemma3, gemma4

  /**
   * The head dimension a layer type of a per-layer-type dictionary rotates over: Gemma 4's full-attention layers
   * rotate over global_head_dim (transformers' Gemma 4 rotary embedding reads it for them), every other layer
   * type over the model's head dimension.
   */
  static HeadDim perLayerTypeHeadDim(TransformersNormalizer normalizer, String layerType, HeadDim headDim) {
    ConfigTree config = normalizer.config();
    if (!FamilyDefaults.GLOBAL_HEAD_DIM.contains(config.family()) || !"full_attention".equals(layerType)) {
      return headDim;
    }
    String path = config.textPath("global_head_dim");
    Long global = config.fields().optPositiveInt(config.text(), "global_head_dim", path);
    HeadDim fullHeadDim = new HeadDim(global == null ? 512 : config.checkedHeadDim(global, path), path);
    normalizer.rules().add(config.family() + ": full_attention layers use global_head_dim = " + fullHeadDim.dim()
        + (global == null ? " (Gemma 4 config default)" : ""));
    return fullHeadDim;
  }

  /** Whether a flat dictionary means Gemma 3 style global and sliding layers. */
  static boolean hasGemmaLayers(String family) {
    return FamilyDefaults.GEMMA_PER_LAYER.contains(family);
  }

  /**
   * Gemma 3/4: a flat dictionary describes the global layers; sliding layers keep plain RoPE on
   * rope_local_base_freq. Gemma 4's global layers have a head dimension and a default RoPE of their own.
   */
  static List<LayerSpec> gemmaLayers(TransformersNormalizer normalizer, JsonNode dict, String dictPath,
      HeadDim headDim, long maxPositions) {
    ConfigTree config = normalizer.config();
    List<String> rules = normalizer.rules();
    String family = config.family();
    boolean gemma4 = family.equals("gemma4");
    RopeParams.Builder full = normalizer.readDictionary(dict, dictPath);
    if (gemma4 && dict.size() == 0) {
      full.put("rope_type", "proportional", dictPath + ".rope_type")
          .put("partial_rotary_factor", 0.25, "partial_rotary_factor");
      rules.add("gemma4: global layers default to proportional RoPE, partial_rotary_factor 0.25");
    }
    normalizer.fillFromTopLevelAndDefaults(full, dictPath, headDim, maxPositions, true);
    HeadDim fullHeadDim = headDim;
    if (gemma4) {
      String path = config.textPath("global_head_dim");
      Long global = config.fields().optPositiveInt(config.text(), "global_head_dim", path);
      fullHeadDim = new HeadDim(global == null ? 512 : config.checkedHeadDim(global, path), path);
      rules.add("gemma4: global layers use global_head_dim = " + fullHeadDim.dim());
    }
    RopeParams.Builder sliding = RopeParams.builder(config.modelId(), dictPath + ".sliding_attention")
        .put("rope_type", "default", "rope_type");
    String localPath = config.textPath("rope_local_base_freq");
    Double local = config.fields().optNumber(config.text(), "rope_local_base_freq", localPath);
    sliding.put("rope_theta", local == null ? 10_000.0 : local, local == null ? "rope_local_base_freq" : localPath);
    rules.add(family + ": rope_scaling applies to full_attention only; sliding_attention uses "
        + "rope_local_base_freq" + (local == null ? " (default 10000)" : ""));
    return List.of(normalizer.layerSpec("full_attention", full, fullHeadDim),
        normalizer.layerSpec("sliding_attention", sliding, headDim));
  }
}
