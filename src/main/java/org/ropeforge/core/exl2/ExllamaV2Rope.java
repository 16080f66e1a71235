package org.ropeforge.core.exl2;

import org.ropeforge.core.FreqMath;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.RopeConfigException;
import org.ropeforge.core.RopeParams;

/**
 * ExLlamaV2's {@code get_rope_params} semantics, the project's seed: default (with NTK alpha), su, llama3 and
 * yarn, each returning inverse frequencies and a scaling factor. Its differences from transformers are kept
 * on purpose: the YaRN ramp is built over the runtime max_seq_len and YaRN is off up to the original length;
 * su's factor is sqrt(1 + ln(a/b)/ln b) from a = max_seq_len, b = original, and 1 on the short branch; linear
 * scaling divides positions, not frequencies; alpha uses the rotary dim in the default path and the full
 * head dim elsewhere.
 */
public final class ExllamaV2Rope {
  private ExllamaV2Rope() {}

  public static LayerRope compute(Exl2Settings s, Precision precision) {
    int dim = (int) (s.headDim() * s.partialRotaryFactor());
    if (dim < 2 || dim % 2 != 0) {
      throw new RopeConfigException(s.modelId(), "head_dim", Integer.toString(s.headDim()),
          "gives rotary_dim " + dim + ", which must be even and at least 2");
    }
    if (!(s.base() > 1 && s.base() <= RopeParams.MAX_THETA)) {
      throw new RopeConfigException(s.modelId(), "rope_theta", Double.toString(s.base()),
          "= " + s.base() + " must be greater than 1 and at most " + RopeParams.MAX_THETA);
    }
    if ("su".equals(s.altRopeMethod()) && s.originalMaxSeqLen() < 2) {
      throw new RopeConfigException(s.modelId(), "original_max_position_embeddings",
          Long.toString(s.originalMaxSeqLen()), "must be at least 2 (its logarithm divides the scaling factor)");
    }
    String method = s.altRopeMethod() == null ? "default" : s.altRopeMethod();
    double[] invFreq;
    double scaling = 1.0;
    String ropeType;
    switch (method) {
      case "su" -> {
        double base = withAlpha(s.base(), s.scaleAlphaValue(), s.headDim());
        long a = s.maxSeqLen();
        long b = s.originalMaxSeqLen();
        double[] ext;
        if (a > b) {
          ext = checkedFactors(s, s.longFactor(), "long_factor", dim);
          scaling = Math.sqrt(1 + Math.log((double) a / b) / Math.log(b));
        } else {
          ext = checkedFactors(s, s.shortFactor(), "short_factor", dim);
        }
        double[] powers = FreqMath.basePowers(base, dim / 2, dim, precision);
        invFreq = new double[dim / 2];
        for (int i = 0; i < invFreq.length; i++) {
          invFreq[i] = precision == Precision.TORCH
              ? 1.0f / ((float) ext[i] * (float) powers[i])
              : 1.0 / (ext[i] * powers[i]);
        }
        ropeType = "su";
      }
      case "llama3" -> {
        double base = withAlpha(s.base(), s.scaleAlphaValue(), s.headDim());
        double[] plain = FreqMath.defaultInvFreq(base, dim, precision);
        invFreq = FreqMath.llama3Bands(plain, s.l3Factor(), s.l3LowFreqFactor(), s.l3HighFreqFactor(),
            s.l3OriginalMax(), precision);
        ropeType = "llama3";
      }
      case "yarn" -> {
        double base = withAlpha(s.base(), s.scaleAlphaValue(), s.headDim());
        if (s.maxSeqLen() > s.yarnOriginalMax()) {
          double factor = s.yarnFactor();
          scaling = 0.1 * Math.log(factor) + 1.0;
          double[] range = FreqMath.yarnCorrectionRange(32, 1, dim, base, s.maxSeqLen(), true);
          invFreq = FreqMath.yarnBlend(base, dim, factor, range[0], range[1], precision);
        } else {
          invFreq = FreqMath.defaultInvFreq(base, dim, precision);
        }
        ropeType = "yarn";
      }
      default -> {
        double base = withAlpha(s.base(), s.scaleAlphaValue(), dim);
        invFreq = FreqMath.defaultInvFreq(base, dim, precision);
        ropeType = s.scalePosEmb() != 1.0 ? "linear" : "default";
      }
    }
    if (s.ropeFreqHalf()) {
      for (int i = 0; i < invFreq.length; i++) {
        invFreq[i] = FreqMath.roundToHalf(precision == Precision.TORCH ? (float) invFreq[i] : invFreq[i]);
      }
    }
    return new LayerRope(s.layerType(), ropeType, dim, invFreq, scaling, null, s.mropeSection(),
        s.scalePosEmb(), s.posIdIndex());
  }

  private static double withAlpha(double base, double alpha, int exponentDim) {
    if (alpha == 1.0) {
      return base;
    }
    return base * Math.pow(alpha, (double) exponentDim / (exponentDim - 2));
  }

  private static double[] checkedFactors(Exl2Settings s, double[] factors, String name, int dim) {
    if (factors == null) {
      throw new RopeConfigException(s.modelId(), "rope_scaling." + name, null,
          "is required by ExLlamaV2's su method but missing");
    }
    if (factors.length != dim / 2) {
      throw new RopeConfigException(s.modelId(), "rope_scaling." + name, factors.length + " values",
          "has " + factors.length + " values, rotary_dim/2 is " + dim / 2);
    }
    return factors;
  }
}
