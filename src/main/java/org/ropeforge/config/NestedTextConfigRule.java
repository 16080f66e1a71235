package org.ropeforge.config;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Composite models whose language model sits elsewhere than text_config: the model's config class's
 * get_text_config(decoder=True) returns the decoder (Dia, T5Gemma), the thinker's text model (Qwen Omni) or the
 * wrapped model's text config (ColPali-style retrievers).
 */
final class NestedTextConfigRule extends FamilyRule {
  private static final Map<String, List<String>> PATHS = Map.of(
      "dia", List.of("decoder_config"),
      "t5gemma", List.of("decoder"),
      "qwen2_5_omni", List.of("thinker_config", "text_config"),
      "qwen3_omni_moe", List.of("thinker_config", "text_config"),
      "colqwen2", List.of("vlm_config", "text_config"),
      "colmodernvbert", List.of("vlm_config", "text_config"));

  @Override
  Set<String> modelTypes() {
    return PATHS.keySet();
  }

  @Override
  List<String> reads() {
    return List.of("decoder_config", "decoder", "thinker_config.text_config", "vlm_config.text_config");
  }

  @Override
  List<String> textConfigPath(String family) {
    return PATHS.getOrDefault(family, List.of());
  }
}
