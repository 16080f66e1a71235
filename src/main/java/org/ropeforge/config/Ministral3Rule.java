package org.ropeforge.config;

import java.util.List;
import java.util.Set;
import org.ropeforge.core.RopeParams;

/** Ministral 3: a config without a RoPE dictionary gets Ministral3Config's YaRN defaults. */
final class Ministral3Rule extends FamilyRule {
  @Override
  Set<String> modelTypes() {
    return Set.of("ministral3");
  }

  @Override
  List<String> reads() {
    return List.of();
  }

  @Override
  void emptyDictionaryDefaults(RopeParams.Builder b, String path, List<String> rules) {
    b.put("rope_type", "yarn", path + ".rope_type").put("factor", 16.0, path + ".factor")
        .put("beta_fast", 32.0, path + ".beta_fast").put("beta_slow", 1.0, path + ".beta_slow")
        .put("mscale", 1.0, path + ".mscale").put("mscale_all_dim", 1.0, path + ".mscale_all_dim")
        .put("original_max_position_embeddings", 16384.0, path + ".original_max_position_embeddings");
    rules.add("ministral3: no rope_parameters -> YaRN class defaults (factor 16, original 16384, mscale 1/1)");
  }
}
