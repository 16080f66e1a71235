package org.ropeforge.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ropeforge.config.TransformersSemantics.HeadDim;
import org.ropeforge.config.TransformersSemantics.LayerSpec;
import org.ropeforge.core.RopeConfigException;

/**
 * NeoMME: without per-layer-type rope_parameters, NeoMMEConfig gives every layer type plain RoPE on the top-level
 * rope_theta when there is one (else its own default: full 1e6, sliding 1e4) and its own partial_rotary_factor
 * (full 0.25, sliding 1.0); rope_local_base_freq and a top-level partial_rotary_factor are not read.
 */
final class NeoMmeRule extends FamilyRule {
  private static final Map<String, double[]> DEFAULTS = Map.of(
      "full_attention", new double[] {1_000_000.0, 0.25},
      "sliding_attention", new double[] {10_000.0, 1.0});

  @Override
  Set<String> modelTypes() {
    return Set.of("neomme");
  }

  @Override
  List<String> reads() {
    return List.of("rope_theta", "layer_types");
  }

  @Override
  List<LayerSpec> flatLayers(TransformersNormalizer normalizer, JsonNode dict, String dictPath, HeadDim headDim,
      long maxPositions) {
    ConfigTree config = normalizer.config();
    if (dict.size() > 0) {
      throw new RopeConfigException(config.modelId(), dictPath, JsonFields.abbreviate(dict),
          "is a flat dictionary: NeoMMEConfig reads only per-layer-type rope_parameters (full_attention, "
              + "sliding_attention) and a top-level rope_theta");
    }
    Double theta = config.fields().optNumber(config.text(), "rope_theta", config.textPath("rope_theta"));
    ObjectNode perType = JsonNodeFactory.instance.objectNode();
    for (Map.Entry<String, double[]> e : List.of(Map.entry("full_attention", DEFAULTS.get("full_attention")),
        Map.entry("sliding_attention", DEFAULTS.get("sliding_attention")))) {
      ObjectNode entry = perType.putObject(e.getKey());
      entry.put("rope_type", "default");
      entry.put("rope_theta", theta != null ? theta : e.getValue()[0]);
      entry.put("partial_rotary_factor", e.getValue()[1]);
    }
    normalizer.rules().add("neomme: per-layer-type parameters from NeoMMEConfig: rope_theta "
        + (theta != null ? "(top-level) for every layer type" : "defaults 1e6/1e4")
        + ", partial_rotary_factor 0.25 full / 1.0 sliding");
    return normalizer.perLayerTypeLayers(perType, dictPath, headDim, maxPositions);
  }
}
