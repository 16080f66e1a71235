package org.ropeforge.core.vllm;

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
    VllmRope.YarnParams yarn = VllmRope.YarnParams.read(p);
    boolean truncate = p.optBoolean("truncate", true);
    VllmRope.fit(in, TYPE, yarn.cacheRows(), "original_max_position_embeddings x factor");
    double[] invFreq = yarn.invFreq(dim, theta, truncate, in.precision());
    double factor = yarn.factor();
    double mscale = factor <= 1 ? 1.0 : 0.07 * Math.log(factor) + 1.0;
    return in.layer(TYPE, invFreq, mscale * yarn.attnFactor(), null);
  }
}
