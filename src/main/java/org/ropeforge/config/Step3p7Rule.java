package org.ropeforge.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ropeforge.config.TransformersSemantics.HeadDim;
import org.ropeforge.config.TransformersSemantics.LayerSpec;
import org.ropeforge.core.RopeConfigException;

/**
 * Step 3.5/3.7 (text model_type step3p5): unless rope_parameters has a dictionary for every layer type of
 * layer_types, the config class builds one per layer type itself, after the generic handling: plain RoPE with
 * rope_theta (one number, or one per layer, the type's first layer's value taken; 10000 when absent) and
 * partial_rotary_factors (one per layer) when given, and rope_scaling merged into full_attention. A flat
 * rope_parameters and a top-level partial_rotary_factor are not read.
 */
final class Step3p7Rule extends FamilyRule {
  /** Step3p7TextConfig.default_theta. */
  static final double DEFAULT_THETA = 10_000.0;

  @Override
  Set<String> modelTypes() {
    return Set.of("step3p5");
  }

  @Override
  List<String> reads() {
    return List.of("layer_types", "rope_theta (number or per-layer list)", "partial_rotary_factors");
  }

  @Override
  void refuse(TransformersNormalizer normalizer, JsonNode dict, boolean perLayerTypeDictionary) {
    if (!perLayerTypeDictionary) {
      return;
    }
    for (String layerType : layerTypes(normalizer.config())) {
      if (!dict.path(layerType).isObject()) {
        ConfigTree config = normalizer.config();
        throw new RopeConfigException(config.modelId(), config.textPath("rope_parameters"),
            JsonFields.abbreviate(dict), "has no dictionary for layer type " + layerType + " of layer_types: "
                + "step3p5's config class then rebuilds every layer type's parameters from rope_theta, which these "
                + "rules do not mix with the given ones; give a dictionary per layer type");
      }
    }
  }

  @Override
  List<LayerSpec> flatLayers(TransformersNormalizer normalizer, JsonNode dict, String dictPath, HeadDim headDim,
      long maxPositions) {
    ConfigTree config = normalizer.config();
    JsonNode text = config.text();
    List<String> layerTypes = layerTypes(config);
    if (layerTypes.isEmpty()) {
      layerTypes = List.of("full_attention");
    }
    List<String> all = allLayerTypes(config);
    JsonNode theta = text.get("rope_theta");
    JsonNode partials = text.get("partial_rotary_factors");
    ObjectNode built = JsonNodeFactory.instance.objectNode();
    for (String layerType : layerTypes) {
      int first = all.isEmpty() ? 0 : all.indexOf(layerType);
      ObjectNode entry = built.putObject(layerType).put("rope_type", "default")
          .put("rope_theta", perLayerNumber(config, theta, "rope_theta", first, DEFAULT_THETA));
      entry.put("partial_rotary_factor", partials == null || partials.isNull() || partials.isEmpty() ? 1.0
          : perLayerNumber(config, partials, "partial_rotary_factors", first, 1.0));
    }
    boolean fromRopeScaling = dictPath.endsWith("rope_scaling");
    if (fromRopeScaling && built.has("full_attention")) {
      ObjectNode full = (ObjectNode) built.get("full_attention");
      for (Iterator<Map.Entry<String, JsonNode>> it = dict.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        full.set(e.getKey(), e.getValue());
      }
    }
    normalizer.rules().add("step3p5: no per-layer-type rope_parameters -> one plain RoPE dictionary per layer type "
        + "from rope_theta" + (partials == null ? "" : " and partial_rotary_factors")
        + (fromRopeScaling ? ", rope_scaling merged into full_attention" : "")
        + (dict.size() > 0 && !fromRopeScaling ? "; the flat rope_parameters is not read, as in its config class" : "")
        + (text.has("partial_rotary_factor") ? "; top-level partial_rotary_factor is not read" : ""));
    return normalizer.perLayerTypeLayers(built, config.textPath("rope_parameters"), headDim, maxPositions);
  }

  private static double perLayerNumber(ConfigTree config, JsonNode value, String key, int layer, double fallback) {
    if (value == null || value.isNull()) {
      return fallback;
    }
    JsonNode v = value.isArray() ? value.get(layer) : value;
    if (v == null || !v.isNumber()) {
      throw new RopeConfigException(config.modelId(), config.textPath(key), JsonFields.abbreviate(value),
          "= " + JsonFields.abbreviate(value) + " must be a number or a list of numbers, one per layer of "
              + "layer_types");
    }
    return v.doubleValue();
  }

  /** layer_types in order, every entry. */
  private static List<String> allLayerTypes(ConfigTree config) {
    List<String> out = new ArrayList<>();
    JsonNode layerTypes = config.text().get("layer_types");
    if (layerTypes != null && layerTypes.isArray()) {
      layerTypes.forEach(t -> out.add(t.asText()));
    }
    return out;
  }

  /** The distinct layer types of layer_types, in order of first appearance. */
  private static List<String> layerTypes(ConfigTree config) {
    return allLayerTypes(config).stream().distinct().toList();
  }
}
