package org.ropeforge.core.table;

/**
 * cos/sin times the attention factor in torch precision, within one float32 ulp of torch's CPU result whichever
 * way torch's cos/sin rounded.
 *
 * <p>transformers multiplies the float32 cos/sin by the float32 attention factor. On x86-64, torch's CPU cos and
 * sin of a float32 tensor are Intel MKL's vector routines (vsCos/vsSin, high-accuracy mode), not correctly rounded:
 * measured over 4.2e7 angles from 2^-14 to 2^22 against the exact value, their error reaches 0.606 ulp, so where
 * the exact value lies within 0.106 ulp of the midpoint between two floats MKL may return either, and does about
 * one time in twenty overall. Multiplying by a factor a &gt; 1 can then put the two candidate products two ulps
 * apart, so a correctly rounded cos times a could be two ulps from torch's.
 *
 * <p>So where the exact value lies within {@value #UNCERTAIN_FROM_MIDPOINT} of a bracket of that midpoint and the
 * two candidate products are two ulps apart, the float between them is returned: one ulp from either. Everywhere
 * else the correctly rounded value times the factor is returned, which is torch's unless MKL misrounds, and then
 * one ulp from it. The margin over the measured 0.106 costs bit-equality only, never the 1-ulp bound.
 */
final class TorchScaledRows {
  /** Distance from the midpoint, in brackets (the gap between the two candidate floats), where MKL may misround. */
  static final double UNCERTAIN_FROM_MIDPOINT = 0.125;

  private TorchScaledRows() {}

  /** The stored value for an exact cos or sin (accurate to about a double ulp) scaled by {@code factor}. */
  static float scaled(double exact, float factor) {
    float nearest = (float) exact;
    float product = nearest * factor;
    if (exact == nearest) {
      return product;
    }
    float other = Math.nextAfter(nearest, exact);
    double bracket = Math.abs((double) other - nearest);
    if (0.5 - Math.abs(exact - nearest) / bracket > UNCERTAIN_FROM_MIDPOINT) {
      return product;
    }
    float otherProduct = other * factor;
    int gap = Float.floatToRawIntBits(otherProduct) - Float.floatToRawIntBits(product);
    boolean sameSign = (product >= 0) == (otherProduct >= 0);
    if (!sameSign || Math.abs(gap) != 2) {
      return product;
    }
    return Math.nextAfter(product, otherProduct);
  }
}
