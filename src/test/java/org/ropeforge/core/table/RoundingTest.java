package org.ropeforge.core.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * float16 and bfloat16 rounding against an independent reference: decode all 2^16 encodings, find the two that
 * bracket the value, and pick the nearer one (exact BigDecimal distances), ties to the even encoding.
 */
class RoundingTest {
  private static final Format F16 = new Format(true);
  private static final Format BF16 = new Format(false);

  @Test
  void float16RoundsToNearestEvenStraightFromDouble() {
    for (double x : values(F16)) {
      assertEquals(F16.nearest(x), Rounding.toF16(x) & 0xFFFF, () -> "f16 of " + x);
    }
  }

  @Test
  void bfloat16RoundsToNearestEvenStraightFromDouble() {
    for (double x : values(BF16)) {
      assertEquals(BF16.nearest(x), Rounding.toBf16(x) & 0xFFFF, () -> "bf16 of " + x);
    }
  }

  @Test
  void roundingOnceDiffersFromRoundingThroughFloat() {
    // 1 + 2^-8 + 2^-30 lies above the bf16 midpoint 1 + 2^-8, but float rounds it down onto the midpoint, and
    // the tie then goes to even (1.0): double rounding would be wrong here.
    double x = 1 + 0x1p-8 + 0x1p-30;
    assertEquals(0x3F81, Rounding.toBf16(x) & 0xFFFF);
    assertEquals(0x3F80, Rounding.toBf16((float) x) & 0xFFFF);
  }

  @Test
  void decodingInvertsEncodingOnEveryFiniteValue() {
    for (int bits = 0; bits < 0x10000; bits++) {
      double f16 = Rounding.fromF16((short) bits);
      if (!Double.isNaN(f16)) {
        assertEquals(bits, Rounding.toF16(f16) & 0xFFFF, "f16 bits " + Integer.toHexString(bits));
      }
      assertEquals(F16.value(bits), f16, 0.0, "f16 bits " + Integer.toHexString(bits));
      double bf16 = Rounding.fromBf16((short) bits);
      if (!Double.isNaN(bf16)) {
        assertEquals(bits, Rounding.toBf16(bf16) & 0xFFFF, "bf16 bits " + Integer.toHexString(bits));
      }
    }
    assertTrue(Double.isNaN(Rounding.fromF16(Rounding.toF16(Double.NaN))));
    assertTrue(Double.isNaN(Rounding.fromBf16(Rounding.toBf16(Double.NaN))));
  }

  /** Random values of every magnitude, every midpoint between neighbours and values a hair either side. */
  private static double[] values(Format format) {
    SplittableRandom random = new SplittableRandom(7);
    double[] out = new double[200_000];
    int n = 0;
    double[] sorted = format.sortedPositive;
    for (int i = 0; i + 2 < sorted.length && n + 6 < out.length; i += 1 + i / 4096) {
      double mid = (sorted[i] + sorted[i + 1]) / 2;
      out[n++] = mid;
      out[n++] = -mid;
      out[n++] = Math.nextUp(mid);
      out[n++] = Math.nextDown(mid);
    }
    double[] special = {0.0, -0.0, Double.MIN_VALUE, 1.0, -1.0, 65504, 65519.99, 65520, 1e300, -1e300,
        Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 3.3895313892515355e38, 3.4e38, 0x1p-133, 0x1p-134,
        0x1.8p-134, 0x1p-24, 0x1p-25, 0x1.8p-25, 0x1p-14, Math.nextDown(0x1p-14)};
    for (double s : special) {
      out[n++] = s;
    }
    while (n < out.length) {
      double magnitude = Math.scalb(1 + random.nextDouble(), random.nextInt(-160, 140));
      out[n++] = random.nextBoolean() ? magnitude : -magnitude;
    }
    return out;
  }

  /** A 16-bit format decoded from first principles, and the nearest-even search over its values. */
  private static final class Format {
    final boolean half;
    final double[] sortedPositive;
    final int[] sortedBits;

    Format(boolean half) {
      this.half = half;
      Integer[] order = new Integer[0x7C01];
      int count = 0;
      int infinity = half ? 0x7C00 : 0x7F80;
      for (int bits = 0; bits <= infinity; bits++) {
        order[count++] = bits;
        if (count == order.length) {
          order = Arrays.copyOf(order, order.length * 2);
        }
      }
      Integer[] finite = Arrays.copyOf(order, count);
      Arrays.sort(finite, (a, b) -> Double.compare(value(a), value(b)));
      sortedPositive = new double[finite.length];
      sortedBits = new int[finite.length];
      for (int i = 0; i < finite.length; i++) {
        sortedPositive[i] = value(finite[i]);
        sortedBits[i] = finite[i];
      }
    }

    double value(int bits) {
      int exponentBits = half ? 5 : 8;
      int fractionBits = 15 - exponentBits;
      int bias = (1 << (exponentBits - 1)) - 1;
      int exponent = (bits >> fractionBits) & ((1 << exponentBits) - 1);
      int fraction = bits & ((1 << fractionBits) - 1);
      double sign = (bits & 0x8000) != 0 ? -1 : 1;
      if (exponent == (1 << exponentBits) - 1) {
        return fraction == 0 ? sign * Double.POSITIVE_INFINITY : Double.NaN;
      }
      if (exponent == 0) {
        return sign * fraction * Math.pow(2, 1 - bias - fractionBits);
      }
      return sign * (1 + fraction / Math.pow(2, fractionBits)) * Math.pow(2, exponent - bias);
    }

    int nearest(double x) {
      int sign = (Double.doubleToRawLongBits(x) < 0) ? 0x8000 : 0;
      double a = Math.abs(x);
      int n = sortedPositive.length;
      double largest = sortedPositive[n - 2];
      if (Double.isInfinite(a)) {
        return sign | sortedBits[n - 1];
      }
      // Beyond the largest finite value the next step up is infinity, as if the exponent range continued.
      double overflowMidpoint = largest + (largest - sortedPositive[n - 3]) / 2;
      if (a >= overflowMidpoint) {
        return sign | sortedBits[n - 1];
      }
      int i = Arrays.binarySearch(sortedPositive, a);
      if (i >= 0) {
        return sign | sortedBits[i];
      }
      int above = -i - 1;
      int below = above - 1;
      if (above == n - 1) {
        return sign | sortedBits[below];
      }
      BigDecimal value = new BigDecimal(a);
      int cmp = value.subtract(new BigDecimal(sortedPositive[below]))
          .compareTo(new BigDecimal(sortedPositive[above]).subtract(value));
      int pick = cmp < 0 ? below : cmp > 0 ? above : ((sortedBits[below] & 1) == 0 ? below : above);
      return sign | sortedBits[pick];
    }
  }
}
