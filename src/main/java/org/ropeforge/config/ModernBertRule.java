package org.ropeforge.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Set;
import org.ropeforge.config.TransformersSemantics.HeadDim;
import org.ropeforge.config.TransformersSemantics.LayerSpec;
import org.ropeforge.core.RopeParams;

/**
 * ModernBERT: without per-layer-type rope_parameters, ModernBertConfig builds full_attention on global_rope_theta
 * (default 160000) and sliding_attention on local_rope_theta (default 10000), and a rope_scaling applies to both.
 * Top-level rope_theta is not read for either.
 */
final class ModernBertRule extends FamilyRule {
  @Override
  Set<String> modelTypes() {
    return Set.of("modernbert", "modernbert-decoder");
  }

  @Override
  List<String> reads() {
    return List.of("global_rope_theta", "local_rope_theta", "rope_scaling");
  }

  @Override
  List<LayerSpec> flatLayers(TransformersNormalizer normalizer, JsonNode dict, String dictPath, HeadDim headDim,
      long maxPositions) {
    ConfigTree config = normalizer.config();
    RopeParams.Builder full = layer(normalizer, dict, dictPath, "global_rope_theta", 160_000.0);
    RopeParams.Builder sliding = layer(normalizer, dict, dictPath, "local_rope_theta", 10_000.0);
    normalizer.fillFromTopLevelAndDefaults(full, dictPath, headDim, maxPositions, true);
    normalizer.fillFromTopLevelAndDefaults(sliding, dictPath, headDim, maxPositions, true);
    normalizer.rules().add(config.family() + ": full_attention on global_rope_theta, sliding_attention on "
        + "local_rope_theta" + (dict.size() > 0 ? "; rope_scaling applies to both" : ""));
    return List.of(normalizer.layerSpec("full_attention", full, headDim),
        normalizer.layerSpec("sliding_attention", sliding, headDim));
  }

  private static RopeParams.Builder layer(TransformersNormalizer normalizer, JsonNode dict, String dictPath,
      String thetaKey, double thetaDefault) {
    ConfigTree config = normalizer.config();
    RopeParams.Builder b = normalizer.readDictionary(dict, dictPath);
    if (!b.has("rope_theta")) {
      String path = config.textPath(thetaKey);
      Double theta = config.fields().optNumber(config.text(), thetaKey, path);
      b.put("rope_theta", theta == null ? thetaDefault : theta, theta == null ? thetaKey : path);
    }
    return b;
  }
}
