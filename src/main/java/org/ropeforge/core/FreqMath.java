package org.ropeforge.core;

/**
 * Building blocks shared by the variants, each in two precisions.
 *
 * <p>{@link Precision#EXACT}: double arithmetic on the config's decimal values. {@link Precision#TORCH}: the
 * float32 pipeline of transformers on CPU, op by op: a Python float that meets a float32 tensor is rounded to
 * float32 first, every tensor op rounds its result to float32, and Python-side scalar maths stays in double.
 * Each torch-mode result is an exact float32 value held in a double.
 */
public final class FreqMath {
  private FreqMath() {}

  /**
   * Correctly rounded float32 power. Not torch's CPU pow, which is {@link TorchCpuPow} and 1 ulp off this on
   * about 2% of arguments: used only for vLLM's mixed NTK weights, whose tensors vLLM builds on the GPU.
   */
  public static float powf(float base, float exponent) {
    return (float) Math.pow(base, exponent);
  }

  /** The exponents 2i/d of the frequency ladder, as transformers forms them: arange(0, d, 2).float() / d. */
  public static float ladderExponentF(int i, int dim) {
    return (float) (2 * i) / (float) dim;
  }

  /**
   * base^(2i/d) for i < count, the denominators of the inverse frequencies; in torch precision as torch's CPU
   * kernel computes a ladder of this length ({@link TorchCpuPow}).
   */
  public static double[] basePowers(double base, int count, int dim, Precision precision) {
    double[] out = new double[count];
    if (precision == Precision.TORCH) {
      float[] exponents = new float[count];
      for (int i = 0; i < count; i++) {
        exponents[i] = ladderExponentF(i, dim);
      }
      float[] powers = TorchCpuPow.pow((float) base, exponents);
      for (int i = 0; i < count; i++) {
        out[i] = powers[i];
      }
    } else {
      for (int i = 0; i < count; i++) {
        out[i] = Math.pow(base, (2.0 * i) / dim);
      }
    }
    return out;
  }

  /**
   * The number of frequencies of a ladder over {@code dim}: arange(0, d, 2) has ceil(d/2) entries, d/2 for the
   * usual even d.
   */
  public static int frequencies(int dim) {
    return (dim + 1) / 2;
  }

  /** Plain RoPE: 1 / base^(2i/d) for i < ceil(d/2). */
  public static double[] defaultInvFreq(double base, int dim, Precision precision) {
    return reciprocal(basePowers(base, frequencies(dim), dim, precision), precision);
  }

  public static double[] reciprocal(double[] values, Precision precision) {
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = precision == Precision.TORCH ? 1.0f / (float) values[i] : 1.0 / values[i];
    }
    return out;
  }

  /** Every value divided by {@code divisor} (a Python float meeting a tensor in torch mode). */
  public static double[] divide(double[] values, double divisor, Precision precision) {
    double[] out = new double[values.length];
    float divisorF = (float) divisor;
    for (int i = 0; i < values.length; i++) {
      out[i] = precision == Precision.TORCH ? (float) values[i] / divisorF : values[i] / divisor;
    }
    return out;
  }

  /** Rounds to the nearest float16 value (ties to even), as torch's {@code .half()} does. */
  public static double roundToHalf(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v) || v == 0) {
      return v;
    }
    // Scaling by a power of two is exact, so rint (ties to even) rounds at the float16 quantum of v.
    int exponent = Math.max(Math.getExponent(v), -14);
    double quantum = Math.scalb(1.0, exponent - 10);
    double rounded = Math.rint(v / quantum) * quantum;
    return Math.abs(rounded) > 65504.0 ? Math.copySign(Double.POSITIVE_INFINITY, v) : rounded;
  }

  /** YaRN's attention scale g(s, m) = 0.1 m ln s + 1, and 1 for s <= 1. */
  public static double yarnMscale(double scale, double mscale) {
    if (scale <= 1) {
      return 1.0;
    }
    return 0.1 * mscale * Math.log(scale) + 1.0;
  }

  /** The dimension at which a frequency completes {@code rotations} turns over {@code length} positions. */
  public static double yarnCorrectionDim(double rotations, int dim, double base, double length) {
    return (dim * Math.log(length / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
  }

  /**
   * YaRN's correction range {low, high}: the dims where the fast and slow frequencies complete {@code betaFast}
   * and {@code betaSlow} turns over {@code length} positions, widened to whole dims when {@code truncate}, and
   * clamped to [0, dim - 1].
   */
  public static double[] yarnCorrectionRange(double betaFast, double betaSlow, int dim, double base, double length,
      boolean truncate) {
    double low = yarnCorrectionDim(betaFast, dim, base, length);
    double high = yarnCorrectionDim(betaSlow, dim, base, length);
    if (truncate) {
      low = Math.floor(low);
      high = Math.ceil(high);
    }
    return new double[] {Math.max(low, 0), Math.min(high, dim - 1)};
  }

  /**
   * YaRN's blend of interpolated (ω/f) and extrapolated (ω) frequencies over a linear ramp between the
   * correction dims {@code low} and {@code high}.
   */
  public static double[] yarnBlend(double base, int dim, double factor, double low, double high,
      Precision precision) {
    int half = frequencies(dim);
    double span = low == high ? (high + 0.001) - low : high - low;
    double[] powers = basePowers(base, half, dim, precision);
    double[] out = new double[half];
    if (precision == Precision.TORCH) {
      float factorF = (float) factor;
      float lowF = (float) low;
      float spanF = (float) span;
      for (int i = 0; i < half; i++) {
        float pf = (float) powers[i];
        float extrapolation = 1.0f / pf;
        float interpolation = 1.0f / (factorF * pf);
        float ramp = Math.min(Math.max(((float) i - lowF) / spanF, 0f), 1f);
        float extrapolationWeight = 1f - ramp;
        out[i] = interpolation * (1f - extrapolationWeight) + extrapolation * extrapolationWeight;
      }
    } else {
      for (int i = 0; i < half; i++) {
        double extrapolation = 1.0 / powers[i];
        double interpolation = extrapolation / factor;
        double ramp = Math.min(Math.max((i - low) / span, 0.0), 1.0);
        double extrapolationWeight = 1.0 - ramp;
        out[i] = interpolation * (1.0 - extrapolationWeight) + extrapolation * extrapolationWeight;
      }
    }
    return out;
  }

  /**
   * Llama 3.1 frequency bands: wavelengths shorter than original/high_freq_factor keep ω, longer than
   * original/low_freq_factor get ω/f, and the band between is smoothed. Branches are chosen, never blended
   * arithmetically, so low_freq_factor == high_freq_factor (Llama 4) divides by nothing: the middle band is
   * empty, and a wavelength exactly on the single boundary keeps ω.
   */
  public static double[] llama3Bands(double[] invFreq, double factor, double lowFreqFactor,
      double highFreqFactor, double originalMax, Precision precision) {
    double lowFreqWavelen = originalMax / lowFreqFactor;
    double highFreqWavelen = originalMax / highFreqFactor;
    double[] out = new double[invFreq.length];
    boolean emptyBand = lowFreqFactor == highFreqFactor;
    if (precision == Precision.TORCH) {
      float twoPi = (float) (2 * Math.PI);
      float lowWl = (float) lowFreqWavelen;
      float highWl = (float) highFreqWavelen;
      float factorF = (float) factor;
      for (int i = 0; i < invFreq.length; i++) {
        float f = (float) invFreq[i];
        // A Python number divided by a tensor is torch's reciprocal times the number: two roundings, not one.
        float wavelen = (1f / f) * twoPi;
        if (wavelen < highWl) {
          out[i] = f;
        } else if (wavelen > lowWl) {
          out[i] = f / factorF;
        } else if (emptyBand) {
          out[i] = f;
        } else {
          float smooth = ((1f / wavelen) * (float) originalMax - (float) lowFreqFactor)
              / (float) (highFreqFactor - lowFreqFactor);
          out[i] = (1f - smooth) * f / factorF + smooth * f;
        }
      }
    } else {
      for (int i = 0; i < invFreq.length; i++) {
        double f = invFreq[i];
        double wavelen = 2 * Math.PI / f;
        if (wavelen < highFreqWavelen) {
          out[i] = f;
        } else if (wavelen > lowFreqWavelen) {
          out[i] = f / factor;
        } else if (emptyBand) {
          out[i] = f;
        } else {
          double smooth = (originalMax / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
          out[i] = (1 - smooth) * f / factor + smooth * f;
        }
      }
    }
    return out;
  }
}
