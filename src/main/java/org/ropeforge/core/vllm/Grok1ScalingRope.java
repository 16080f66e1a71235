package org.ropeforge.core.vllm;

import org.ropeforge.core.FreqMath;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.RopeConfigException;

/**
 * vLLM's {@code Grok1ScalingRotaryEmbedding}, which Grok-1's model code builds itself (not through {@code get_rope})
 * when its config has a top-level {@code rope_type}: that value is the extrapolation method, and the cache has
 * original_max_position_embeddings × scaling_factor rows. The cache is cos/sin alone: the class computes YaRN's
 * magnitude scale but its cache leaves it out, so the attention factor is 1.
 *
 * <ul>
 *   <li>{@code original}: ω_i = θ^(−2i/d);</li>
 *   <li>{@code yarn}, {@code yarn_linear}: YaRN's blend, extrapolation weight (1 − ramp) × extrapolation_factor;</li>
 *   <li>{@code yarn_log}: the same weight blends the logarithms, ω_i = exp(w·ln ω_i + (1 − w)·ln(ω_i/f));</li>
 *   <li>{@code theta_scale}: plain RoPE on the base θ^(ln(L·f/2π)/ln(L/2π)), L the original length.</li>
 * </ul>
 * The correction range is YaRN's over the original length, always truncated; θ is the config's value truncated to
 * an integer, as the model code passes {@code int(rope_theta)}.
 *
 * @param method the config's top-level rope_type
 * @param rotaryDim the rotated dimension
 * @param theta the base, already truncated to an integer
 * @param original original_max_position_embeddings
 * @param factor scaling_factor
 * @param extrapolationFactor extrapolation_factor
 * @param betaFast beta_fast
 * @param betaSlow beta_slow
 */
public record Grok1ScalingRope(String method, int rotaryDim, double theta, long original, double factor,
    double extrapolationFactor, double betaFast, double betaSlow) {

  /** The extrapolation methods vLLM's class knows. */
  public static final String METHODS = "original, yarn, yarn_linear, yarn_log, theta_scale";

  /**
   * @param modelId for messages
   * @param methodPath the field the method came from, for messages
   */
  public LayerRope layer(String modelId, String methodPath, String layerType, long contextLength,
      Precision precision) {
    long cache = (long) Math.ceil(original * factor);
    if (contextLength > cache) {
      throw new RopeConfigException(modelId, "context_length", Long.toString(contextLength), "= " + contextLength
          + " exceeds the " + cache + " positions of vLLM's cos_sin_cache for Grok-1's '" + method
          + "' rope (original_max_position_embeddings x scaling_factor)");
    }
    double[] invFreq = switch (method) {
      case "original" -> FreqMath.defaultInvFreq(theta, rotaryDim, precision);
      case "yarn", "yarn_linear" -> {
        double[] range = FreqMath.yarnCorrectionRange(betaFast, betaSlow, rotaryDim, theta, original, true);
        yield VllmRope.yarnBlend(theta, rotaryDim, factor, range[0], range[1], extrapolationFactor, precision);
      }
      case "yarn_log" -> yarnLog(precision);
      case "theta_scale" -> {
        double scaledBase = Math.pow(theta,
            Math.log(original * factor / (2 * Math.PI)) / Math.log(original / (2 * Math.PI)));
        yield FreqMath.defaultInvFreq(scaledBase, rotaryDim, precision);
      }
      default -> throw new RopeConfigException(modelId, methodPath, '"' + method + '"', "= \"" + method
          + "\" is not an extrapolation method of vLLM's Grok-1 rope (" + METHODS + ")");
    };
    return new LayerRope(layerType, "grok1_" + method, rotaryDim, invFreq, 1.0, null, null, 1.0, 0.0);
  }

  private double[] yarnLog(Precision precision) {
    double[] range = FreqMath.yarnCorrectionRange(betaFast, betaSlow, rotaryDim, theta, original, true);
    int half = rotaryDim / 2;
    double[] weights = VllmRope.yarnExtrapolationWeights(half, range[0], range[1], extrapolationFactor, precision);
    double[] powers = FreqMath.basePowers(theta, half, rotaryDim, precision);
    double[] out = new double[half];
    for (int i = 0; i < half; i++) {
      if (precision == Precision.TORCH) {
        float pf = (float) powers[i];
        float extrapolation = 1.0f / pf;
        float interpolation = 1.0f / ((float) factor * pf);
        float weight = (float) weights[i];
        float logSum = (float) Math.log(extrapolation) * weight + (float) Math.log(interpolation) * (1f - weight);
        out[i] = (float) Math.exp(logSum);
      } else {
        double extrapolation = 1.0 / powers[i];
        double weight = weights[i];
        out[i] = Math.exp(Math.log(extrapolation) * weight + Math.log(extrapolation / factor) * (1.0 - weight));
      }
    }
    return out;
  }
}
