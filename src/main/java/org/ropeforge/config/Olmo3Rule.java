package org.ropeforge.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Set;
import org.ropeforge.config.TransformersSemantics.HeadDim;
import org.ropeforge.config.TransformersSemantics.LayerSpec;
import org.ropeforge.core.RopeParams;

/**
 * OLMo 3: without per-layer-type rope_parameters, Olmo3Config gives full_attention the rope_scaling and the
 * top-level rope_theta, and sliding_attention plain RoPE on its default theta 500000: the config class consumes
 * rope_theta for the full-attention entry, so the sliding entry falls back to the default whatever rope_theta is.
 */
final class Olmo3Rule extends FamilyRule {
  static final double DEFAULT_THETA = 500_000.0;

  @Override
  Set<String> modelTypes() {
    return Set.of("olmo3");
  }

  @Override
  List<String> reads() {
    return List.of("rope_theta", "rope_scaling");
  }

  @Override
  List<LayerSpec> flatLayers(TransformersNormalizer normalizer, JsonNode dict, String dictPath, HeadDim headDim,
      long maxPositions) {
    ConfigTree config = normalizer.config();
    RopeParams.Builder full = normalizer.readDictionary(dict, dictPath);
    normalizer.fillFromTopLevelAndDefaults(full, dictPath, headDim, maxPositions, true);
    RopeParams.Builder sliding = RopeParams.builder(config.modelId(), dictPath + ".sliding_attention")
        .put("rope_type", "default", "rope_type").put("rope_theta", DEFAULT_THETA, "rope_theta");
    normalizer.rules().add("olmo3: rope_scaling and rope_theta apply to full_attention only; sliding_attention "
        + "uses Olmo3Config's default theta 500000");
    return List.of(normalizer.layerSpec("full_attention", full, headDim),
        normalizer.layerSpec("sliding_attention", sliding, headDim));
  }
}
