package org.ropeforge.core.vllm;

import org.ropeforge.core.FreqMath;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.RopeParams;
import org.ropeforge.core.VariantInput;

/**
 * vLLM's {@code telechat3-yarn} ({@code TeleChat3RoPEScaledRotaryEmbedding}): YaRN's frequencies and cache
 * (original_max_position_embeddings × f rows), with the attention factor (0.07·ln f + 1) × {@code attn_factor}
 * (0.07 where YaRN has 0.1; {@code attn_factor} alone for f ≤ 1). {@code apply_yarn_scaling} is not read.
 * original_max_position_embeddings is required.
 */
final class TeleChat3YarnRope {
  static final String TYPE = "telechat3-yarn";

  private TeleChat3YarnRope() {}

  static LayerRope compute(VariantInput in, int dim, double theta) {
    RopeParams p = in.params();
    double factor = p.requireFactor("factor");
    long original = p.requirePositiveInteger("original_max_position_embeddings");
    double betaFast = p.optDouble("beta_fast", 32);
    double betaSlow = p.optDouble("beta_slow", 1);
    double extrapolationFactor = p.optDouble("extrapolation_factor", 1);
    double attnFactor = p.optDouble("attn_factor", 1);
    boolean truncate = p.optBoolean("truncate", true);
    VllmRope.fit(in, TYPE, (long) Math.ceil(original * factor), "original_max_position_embeddings x factor");
    double[] range = FreqMath.yarnCorrectionRange(betaFast, betaSlow, dim, theta, original, truncate);
    double[] invFreq = VllmRope.yarnBlend(theta, dim, factor, range[0], range[1], extrapolationFactor,
        in.precision());
    double mscale = factor <= 1 ? 1.0 : 0.07 * Math.log(factor) + 1.0;
    return in.layer(TYPE, invFreq, mscale * attnFactor, null);
  }
}
