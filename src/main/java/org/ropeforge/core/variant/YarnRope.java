package org.ropeforge.core.variant;

import java.util.Set;
import org.ropeforge.core.FreqMath;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.RopeParams;
import org.ropeforge.core.RopeVariant;
import org.ropeforge.core.VariantInput;

/**
 * YaRN (transformers 5.x semantics), including DeepSeek's mscale pair and its softmax-scale term.
 *
 * <p>The ramp runs between the correction dims of beta_fast and beta_slow rotations over
 * original_max_position_embeddings, floored/ceiled unless {@code truncate} is false. The attention factor is
 * the explicit {@code attention_factor}, else g(f, mscale)/g(f, mscale_all_dim) when both are non-zero, else
 * g(f) = 0.1 ln f + 1. The factor applies at every context length.
 */
public final class YarnRope implements RopeVariant {
  @Override
  public String name() {
    return "yarn";
  }

  @Override
  public Set<String> requiredKeys() {
    return Set.of("rope_type", "factor", "original_max_position_embeddings");
  }

  @Override
  public Set<String> optionalKeys() {
    return Set.of("rope_theta", "attention_factor", "beta_fast", "beta_slow", "mscale", "mscale_all_dim",
        "truncate");
  }

  @Override
  public LayerRope compute(VariantInput in) {
    RopeParams p = in.params();
    double factor = p.requireFactor("factor");
    double original = p.requirePositiveInteger("original_max_position_embeddings");
    double theta = in.theta();
    int dim = in.ladderDim(true);
    // transformers reads these with `or`, so an explicit 0 means "the default", as does null.
    double betaFast = orDefault(optUnsetOrFactor(p, "beta_fast"), 32);
    double betaSlow = orDefault(optUnsetOrFactor(p, "beta_slow"), 1);
    double mscale = optUnsetOrFactor(p, "mscale");
    double mscaleAllDim = optUnsetOrFactor(p, "mscale_all_dim");
    boolean truncate = p.optBoolean("truncate", true);

    double attentionFactor;
    if (p.has("attention_factor")) {
      attentionFactor = p.requireDouble("attention_factor");
      if (!(attentionFactor >= 0 && attentionFactor <= RopeParams.MAX_FACTOR)) {
        throw p.error("attention_factor", Double.toString(attentionFactor),
            "must be a number in [0, " + RopeParams.MAX_FACTOR + "]");
      }
    } else if (mscale != 0 && mscaleAllDim != 0) {
      attentionFactor = FreqMath.yarnMscale(factor, mscale) / FreqMath.yarnMscale(factor, mscaleAllDim);
    } else {
      attentionFactor = FreqMath.yarnMscale(factor, 1.0);
    }

    double[] range = FreqMath.yarnCorrectionRange(betaFast, betaSlow, dim, theta, original, truncate);
    double[] invFreq = FreqMath.yarnBlend(theta, dim, factor, range[0], range[1], in.precision());

    Double softmaxScale = null;
    if (in.softmaxScaleApplies() && mscaleAllDim != 0) {
      double g = FreqMath.yarnMscale(factor, mscaleAllDim);
      softmaxScale = g * g;
    }
    return in.layer(name(), invFreq, attentionFactor, softmaxScale);
  }

  /** 0 when absent or 0 (transformers' `or` treats both as unset), else a factor in (0, MAX_FACTOR]. */
  private static double optUnsetOrFactor(RopeParams p, String key) {
    if (!p.has(key) || p.requireDouble(key) == 0) {
      return 0;
    }
    return p.requireFactor(key);
  }

  private static double orDefault(double value, double fallback) {
    return value == 0 ? fallback : value;
  }
}
