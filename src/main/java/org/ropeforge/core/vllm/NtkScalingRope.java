package org.ropeforge.core.vllm;

import org.ropeforge.core.FreqMath;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.RopeParams;
import org.ropeforge.core.VariantInput;

/**
 * vLLM's {@code ntk} ({@code NTKScalingRotaryEmbedding}, fixed and mixed NTK scaling): a static cache of
 * max_position_embeddings rows, no attention factor.
 *
 * <ul>
 *   <li>fixed (no {@code mixed_b}): ω_i = (θ·f)^(−2i/d) / f^(2/d);</li>
 *   <li>mixed: ω_i = θ^(−2i/d) / λ_i with λ_i = exp(a·(i+1)^b), a = ln f / (d/2)^b, b = {@code mixed_b}.</li>
 * </ul>
 *
 * <p>In torch precision the fixed divisor f^(2/d) and (d/2)^b are Python doubles rounded to float32 where they meet
 * the float32 tensors; ln f, the powers (i+1)^b, the product and exp are float32 tensor ops.
 */
final class NtkScalingRope {
  static final String TYPE = "ntk";

  private NtkScalingRope() {}

  static LayerRope compute(VariantInput in, int dim, double theta) {
    RopeParams p = in.params();
    double factor = p.requireFactor("factor");
    VllmRope.fit(in, TYPE, in.maxPositionEmbeddings(), "max_position_embeddings");
    Precision precision = in.precision();
    double[] invFreq;
    if (!p.has("mixed_b")) {
      double[] plain = FreqMath.defaultInvFreq(theta * factor, dim, precision);
      invFreq = FreqMath.divide(plain, Math.pow(factor, 2.0 / dim), precision);
    } else {
      double b = p.requireDouble("mixed_b");
      double[] plain = FreqMath.defaultInvFreq(theta, dim, precision);
      int half = dim / 2;
      invFreq = new double[half];
      if (precision == Precision.TORCH) {
        float a = (float) Math.log((float) factor) / (float) Math.pow(half, b);
        float bf = (float) b;
        for (int i = 0; i < half; i++) {
          float lambda = (float) Math.exp(a * FreqMath.powf(i + 1, bf));
          invFreq[i] = (float) plain[i] / lambda;
        }
      } else {
        double a = Math.log(factor) / Math.pow(half, b);
        for (int i = 0; i < half; i++) {
          invFreq[i] = plain[i] / Math.exp(a * Math.pow(i + 1, b));
        }
      }
    }
    return in.layer(TYPE, invFreq, 1.0, null);
  }
}
