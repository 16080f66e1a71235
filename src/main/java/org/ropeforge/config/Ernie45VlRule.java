package org.ropeforge.config;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.ropeforge.config.TransformersSemantics.HeadDim;
import org.ropeforge.core.LayerRope.MropeOrder;
import org.ropeforge.core.RopeParams;

/**
 * ERNIE 4.5 VL MoE's text rotary embedding (transformers' {@code Ernie4_5_VLMoeTextRotaryEmbedding}): plain RoPE
 * over the whole head (theta^(-2i/d), d = head_dim or hidden_size / num_attention_heads, attention factor 1; no
 * partial_rotary_factor, no other rope type) with mrope sections listed (h, w, t), default {@link #DEFAULT_SECTIONS}.
 * Its buffer holds the first h + w frequencies permuted (the even ones, then the odd ones), and its forward
 * recomposes them into alternating h, w pairs followed by t: with equal h and w sections the two steps undo each
 * other, so pair j is rotated by the ascending frequency j, at the h position for an even j &lt; h + w, at the w
 * position for an odd one, and at the t position after that. That is the plain table with the axis order
 * {@link MropeOrder#HW_ALTERNATING}. Unequal h and w sections, sections that do not cover d/2, and any rope type
 * but default are refused by name. The model pairs dimensions GPT-J style (x[2j], x[2j+1]).
 */
final class Ernie45VlRule extends FamilyRule {
  /** The rotary embedding's mrope sections when the config has none: h, w, t. */
  static final double[] DEFAULT_SECTIONS = {22, 22, 20};

  @Override
  Set<String> modelTypes() {
    return Set.of("ernie4_5_vl_moe");
  }

  @Override
  List<String> reads() {
    return List.of("rope_parameters.mrope_section");
  }

  @Override
  boolean readsRotaryDim() {
    return false;
  }

  @Override
  boolean readsPartialRotaryFactor() {
    return false;
  }

  @Override
  MropeOrder mropeOrder(TransformersNormalizer normalizer, RopeParams.Builder b, String layerType, HeadDim headDim) {
    String family = normalizer.config().family();
    if (!b.has("mrope_section")) {
      b.put("mrope_section", DEFAULT_SECTIONS.clone(), null);
      normalizer.rules().add("mrope_section missing -> " + describe(DEFAULT_SECTIONS) + " (" + family
          + " rotary embedding default)");
    }
    RopeParams params = b.build();
    String ropeType = params.ropeType();
    if (!"default".equals(ropeType)) {
      throw params.error("rope_type", '"' + ropeType + '"', "is refused for " + family
          + ": its text rotary embedding requires the default rope type (transformers raises for any other)");
    }
    Object raw = params.raw("mrope_section");
    int half = headDim.dim() / 2;
    if (!(raw instanceof double[] s) || s.length != 3 || !integral(s) || s[0] != s[1] || s[2] < 1
        || s[0] + s[1] + s[2] != half) {
      String value = RopeParams.describe(raw);
      throw params.error("mrope_section", value, "is refused for " + family + ": its sections "
          + "(h, w, t) must be three non-negative integers with h = w, t at least 1 and h + w + t = head_dim/2 = "
          + half + "; only then does its permuted frequency buffer, recomposed, rotate pair j by the ascending "
          + "frequency j, which a table can carry");
    }
    normalizer.rules().add(family + ": mrope sections (h, w, t) " + describe(s) + " -> plain frequencies in "
        + "ascending order, axis h/w alternating over the first " + (int) (s[0] + s[1]) + " and t for the rest (its "
        + "permuted buffer and recomposition undo each other); the model pairs dimensions GPT-J style "
        + "(x[2j], x[2j+1]), which layout gptj reproduces");
    return MropeOrder.HW_ALTERNATING;
  }

  private static boolean integral(double[] s) {
    for (double v : s) {
      if (v < 0 || v != Math.rint(v)) {
        return false;
      }
    }
    return true;
  }

  private static String describe(double[] s) {
    return Arrays.toString(Arrays.stream(s).mapToInt(v -> (int) v).toArray());
  }
}
