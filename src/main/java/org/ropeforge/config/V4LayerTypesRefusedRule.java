package org.ropeforge.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Set;
import org.ropeforge.core.RopeConfigException;

/**
 * Per-layer-type families whose config classes build their per-layer-type parameters in their own way when the
 * config has no per-layer-type rope_parameters (HF v4 form: layer_types with top-level rope_theta), in a way these
 * rules have not been checked against. Their per-layer-type rope_parameters resolve as usual.
 */
final class V4LayerTypesRefusedRule extends FamilyRule {
  @Override
  Set<String> modelTypes() {
    return Set.of("step3p5", "mellum", "zaya");
  }

  @Override
  List<String> reads() {
    return List.of("layer_types");
  }

  @Override
  void refuse(TransformersNormalizer normalizer, JsonNode dict, boolean perLayerTypeDictionary) {
    ConfigTree config = normalizer.config();
    if (perLayerTypeDictionary || !config.text().has("layer_types")) {
      return;
    }
    String family = config.family();
    String path = config.textPath("model_type");
    throw new RopeConfigException(config.modelId(), path, '"' + family + '"',
        "= \"" + family + "\" with layer_types and no per-layer-type rope_parameters (HF v4 form) is not "
            + "supported: " + family + "'s config class builds its per-layer-type parameters itself from such a "
            + "config, which these rules do not reproduce; give per-layer-type rope_parameters");
  }
}
