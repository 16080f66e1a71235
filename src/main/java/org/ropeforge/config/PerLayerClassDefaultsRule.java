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
 * Per-layer-type families whose config classes do no HF v4 conversion (their convert_rope_params_to_dict returns
 * its arguments untouched): without rope_parameters they take the class's own per-layer-type defaults, and the
 * top-level rope_theta and partial_rotary_factor are not read. A rope_scaling is refused, since these classes
 * leave it unread and the model would not apply it.
 */
final class PerLayerClassDefaultsRule extends FamilyRule {
  /** Per family: layer type to {theta, partial_rotary_factor}, as the config class defines them. */
  private static final Map<String, Map<String, double[]>> DEFAULTS = Map.of(
      "laguna", Map.of("full_attention", new double[] {500_000.0, 0.5},
          "sliding_attention", new double[] {10_000.0, 1.0}),
      "mimo_v2_flash", Map.of("full_attention", new double[] {5_000_000.0, 0.334},
          "sliding_attention", new double[] {10_000.0, 0.334}));

  @Override
  Set<String> modelTypes() {
    return DEFAULTS.keySet();
  }

  @Override
  List<String> reads() {
    return List.of("rope_parameters", "layer_types");
  }

  @Override
  List<LayerSpec> flatLayers(TransformersNormalizer normalizer, JsonNode dict, String dictPath, HeadDim headDim,
      long maxPositions) {
    ConfigTree config = normalizer.config();
    String family = config.family();
    if (dict.size() > 0) {
      throw new RopeConfigException(config.modelId(), dictPath, JsonFields.abbreviate(dict),
          "is a flat dictionary: " + family + "'s config class reads only per-layer-type rope_parameters "
              + "(full_attention, sliding_attention) and would not apply it");
    }
    ObjectNode perType = JsonNodeFactory.instance.objectNode();
    for (String layerType : List.of("full_attention", "sliding_attention")) {
      double[] d = DEFAULTS.get(family).get(layerType);
      ObjectNode entry = perType.putObject(layerType);
      entry.put("rope_type", "default");
      entry.put("rope_theta", d[0]);
      entry.put("partial_rotary_factor", d[1]);
    }
    normalizer.rules().add(family + ": no rope_parameters -> the config class's per-layer-type defaults; "
        + "top-level rope_theta and partial_rotary_factor are not read");
    return normalizer.perLayerTypeLayers(perType, dictPath, headDim, maxPositions);
  }
}
