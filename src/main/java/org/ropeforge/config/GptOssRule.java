package org.ropeforge.config;

import java.util.List;
import java.util.Set;
import org.ropeforge.core.RopeParams;

/** GPT-OSS: a config without a RoPE dictionary gets GptOssConfig's YaRN defaults. */
final class GptOssRule extends FamilyRule {
  @Override
  Set<String> modelTypes() {
    return Set.of("gpt_oss");
  }

  @Override
  List<String> reads() {
    return List.of();
  }

  @Override
  void emptyDictionaryDefaults(RopeParams.Builder b, String path, List<String> rules) {
    b.put("rope_type", "yarn", path + ".rope_type").put("factor", 32.0, path + ".factor")
        .put("beta_fast", 32.0, path + ".beta_fast").put("beta_slow", 1.0, path + ".beta_slow")
        .put("truncate", false, path + ".truncate")
        .put("original_max_position_embeddings", 4096.0, path + ".original_max_position_embeddings");
    rules.add("gpt_oss: no rope_scaling -> YaRN class defaults (factor 32, beta 32/1, truncate false, "
        + "original 4096)");
  }
}
