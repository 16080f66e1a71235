package org.ropeforge.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Set;
import org.ropeforge.config.TransformersSemantics.HeadDim;
import org.ropeforge.config.TransformersSemantics.LayerSpec;
import org.ropeforge.core.RopeParams;

/**
 * Gemma 3 style configs (Gemma 3, Gemma 3n, T5Gemma 2, Gemma 4): their config classes turn a flat dictionary
 * (rope_scaling with top-level rope_theta, HF v4) into full_attention parameters, and give sliding_attention plain
 * RoPE on rope_local_base_freq. Gemma 4's full-attention layers rotate over global_head_dim, with proportional
 * RoPE by default. T5Gemma 2's language model is its decoder.
 */
final class GemmaPerLayerRule extends FamilyRule {
  /** Families whose flat dictionary the config class expands, Gemma 3 style. */
  private static final Set<String> FLAT_EXPANDED = Set.of("gemma3", "gemma4", "gemma3n", "t5gemma2",
      "t5gemma2_decoder");

  @Override
  Set<String> modelTypes() {
    return Set.of("gemma3", "gemma4", "gemma4_unified", "diffusion_gemma", "gemma3n", "t5gemma2",
        "t5gemma2_decoder");
  }

  @Override
  List<String> reads() {
    return List.of("rope_local_base_freq", "global_head_dim", "decoder (t5gemma2)");
  }

  @Override
  List<String> textConfigPath(String family) {
    return family.equals("t5gemma2") ? List.of("decoder") : List.of();
  }

  @Override
  HeadDim perLayerTypeHeadDim(TransformersNormalizer normalizer, String layerType, HeadDim headDim) {
    ConfigTree config = normalizer.config();
    if (!FamilyDefaults.GLOBAL_HEAD_DIM.contains(config.family()) || !"full_attention".equals(layerType)) {
      return headDim;
    }
    HeadDim full = globalHeadDim(config);
    normalizer.rules().add(config.family() + ": full_attention layers use global_head_dim = " + full.dim()
        + (config.text().hasNonNull("global_head_dim") ? "" : " (Gemma 4 config default)"));
    return full;
  }

  @Override
  List<LayerSpec> flatLayers(TransformersNormalizer normalizer, JsonNode dict, String dictPath, HeadDim headDim,
      long maxPositions) {
    ConfigTree config = normalizer.config();
    String family = config.family();
    if (!FLAT_EXPANDED.contains(family)) {
      return null;
    }
    List<String> rules = normalizer.rules();
    boolean gemma4 = family.equals("gemma4");
    RopeParams.Builder full = normalizer.readDictionary(dict, dictPath);
    if (gemma4 && dict.size() == 0) {
      full.put("rope_type", "proportional", dictPath + ".rope_type")
          .put("partial_rotary_factor", 0.25, "partial_rotary_factor");
      rules.add("gemma4: global layers default to proportional RoPE, partial_rotary_factor 0.25");
    }
    normalizer.fillFromTopLevelAndDefaults(full, dictPath, headDim, maxPositions, true);
    HeadDim fullHeadDim = headDim;
    if (gemma4) {
      fullHeadDim = globalHeadDim(config);
      rules.add("gemma4: global layers use global_head_dim = " + fullHeadDim.dim());
    }
    RopeParams.Builder sliding = RopeParams.builder(config.modelId(), dictPath + ".sliding_attention")
        .put("rope_type", "default", "rope_type");
    String localPath = config.textPath("rope_local_base_freq");
    Double local = config.fields().optNumber(config.text(), "rope_local_base_freq", localPath);
    sliding.put("rope_theta", local == null ? 10_000.0 : local, local == null ? "rope_local_base_freq" : localPath);
    rules.add(family + ": rope_scaling applies to full_attention only; sliding_attention uses "
        + "rope_local_base_freq" + (local == null ? " (default 10000)" : ""));
    return List.of(normalizer.layerSpec("full_attention", full, fullHeadDim),
        normalizer.layerSpec("sliding_attention", sliding, headDim));
  }

  private static HeadDim globalHeadDim(ConfigTree config) {
    String path = config.textPath("global_head_dim");
    Long global = config.fields().optPositiveInt(config.text(), "global_head_dim", path);
    return new HeadDim(global == null ? 512 : config.checkedHeadDim(global, path), path);
  }
}
