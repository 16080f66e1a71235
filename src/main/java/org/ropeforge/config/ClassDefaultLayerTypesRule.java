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
 * Mellum and ZAYA: without rope_parameters, the config class sets its own per-layer-type dictionary (below), and
 * its convert_rope_params_to_dict returns the keyword arguments untouched, so an HF v4 top-level rope_theta and a
 * rope_scaling are ignored. The model builds the layer types of layer_types only. A flat rope_parameters stays
 * flat there, and the per-layer-type rotary embedding cannot read it, so it is refused.
 */
final class ClassDefaultLayerTypesRule extends FamilyRule {
  /** The config classes' default rope_parameters: layer type to {rope_theta, partial_rotary_factor or 0}. */
  private static final Map<String, Map<String, double[]>> CLASS_DEFAULTS = Map.of(
      "mellum", Map.of("full_attention", new double[] {500_000.0, 0}, "sliding_attention",
          new double[] {10_000.0, 0}),
      "zaya", Map.of("hybrid", new double[] {5_000_000.0, 0.5}, "hybrid_sliding", new double[] {10_000.0, 0.5}));
  /** Each family's layer types in the order its config class lists them. */
  private static final Map<String, List<String>> ORDER = Map.of(
      "mellum", List.of("full_attention", "sliding_attention"), "zaya", List.of("hybrid", "hybrid_sliding"));

  @Override
  Set<String> modelTypes() {
    return CLASS_DEFAULTS.keySet();
  }

  @Override
  List<String> reads() {
    return List.of("layer_types");
  }

  @Override
  Set<String> perLayerTypeKeys() {
    return Set.of("hybrid", "hybrid_sliding");
  }

  @Override
  List<LayerSpec> flatLayers(TransformersNormalizer normalizer, JsonNode dict, String dictPath, HeadDim headDim,
      long maxPositions) {
    ConfigTree config = normalizer.config();
    String family = config.family();
    boolean fromRopeScaling = dictPath.endsWith("rope_scaling");
    if (dict.size() > 0 && !fromRopeScaling) {
      throw new RopeConfigException(config.modelId(), dictPath, JsonFields.abbreviate(dict),
          "= " + JsonFields.abbreviate(dict) + " is a flat dictionary: " + family + "'s rotary embedding reads one "
              + "dictionary per layer type (" + String.join(", ", ORDER.get(family)) + "); give per-layer-type "
              + "rope_parameters");
    }
    ObjectNode defaults = JsonNodeFactory.instance.objectNode();
    for (String layerType : ORDER.get(family)) {
      double[] d = CLASS_DEFAULTS.get(family).get(layerType);
      ObjectNode entry = defaults.putObject(layerType).put("rope_type", "default").put("rope_theta", d[0]);
      if (d[1] != 0) {
        entry.put("partial_rotary_factor", d[1]);
      }
    }
    normalizer.rules().add(family + ": no rope_parameters -> the config class's per-layer-type defaults "
        + JsonFields.abbreviate(defaults) + (fromRopeScaling || config.text().has("rope_theta")
        ? "; top-level rope_theta and rope_scaling are ignored, as " + family + "'s config class ignores them" : ""));
    return normalizer.perLayerTypeLayers(defaults, config.textPath("rope_parameters"), headDim, maxPositions);
  }
}
