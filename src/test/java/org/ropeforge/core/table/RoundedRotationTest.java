package org.ropeforge.core.table;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The rounded rotations as tables call them: real and imaginary parts, any first step row and row count, several
 * vectors of columns, against Math.fma and the scalar rounding reference value by value. Many products are
 * nudged off a 16-bit midpoint by less than a float ulp (where rounding through float goes wrong), so strips
 * take the checked path with ordinary lanes beside the doubtful ones. Every float pattern and the rounding
 * boundaries go through the same code in {@link RoundingArraysTest}.
 */
class RoundedRotationTest {
  private static final int STEP_ROWS = 32;

  @Test
  void everyProductRoundsAsTheScalarReference() {
    SplittableRandom random = new SplittableRandom(5);
    int lanes = RoundedRotation.LANES;
    for (int trial = 0; trial < 400; trial++) {
      int padded = lanes * (1 + random.nextInt(5));
      int k0 = random.nextInt(STEP_ROWS);
      int rows = 1 + random.nextInt(STEP_ROWS - k0);
      boolean imaginary = random.nextBoolean();
      boolean binary16 = trial % 2 == 0;
      double[] a = new double[padded];
      double[] b = new double[padded];
      for (int j = 0; j < padded; j++) {
        double angle = random.nextDouble(-Math.PI, Math.PI);
        double factor = trial % 3 == 0 ? 1.0 : random.nextDouble(0.1, 3);
        a[j] = Math.cos(angle) * factor;
        b[j] = Math.sin(angle) * factor;
      }
      double[] c = new double[STEP_ROWS * padded];
      double[] d = new double[STEP_ROWS * padded];
      for (int s = 0; s < c.length; s++) {
        int j = s % padded;
        if (random.nextInt(8) == 0) {
          // a * c is a 16-bit midpoint, and b * d moves it by less than half a float ulp either way.
          double mid = midpoint(random, binary16);
          a[j] = 1.0;
          c[s] = mid;
          b[j] = imaginary ? 1.0 : -1.0;
          d[s] = Math.ulp((float) mid) * random.nextDouble(-0.49, 0.49);
        } else {
          double angle = random.nextDouble(-100, 100);
          c[s] = Math.cos(angle);
          d[s] = Math.sin(angle);
        }
      }
      short[] out = new short[rows * padded + 7];
      Arrays.fill(out, (short) 0x5A5A);
      if (binary16) {
        RoundedRotation.toF16(a, b, c, d, k0, rows, padded, imaginary, out);
      } else {
        RoundedRotation.toBf16(a, b, c, d, k0, rows, padded, imaginary, out);
      }
      for (int i = 0; i < out.length; i++) {
        short expected = (short) 0x5A5A;
        if (i < rows * padded) {
          int j = i % padded;
          int s = (k0 + i / padded) * padded + j;
          double v = Math.fma(a[j], c[s], (imaginary ? b[j] : -b[j]) * d[s]);
          expected = binary16 ? Rounding.toF16(v) : Rounding.toBf16(v);
        }
        assertEquals(expected, out[i], "trial " + trial + " (" + (binary16 ? "f16" : "bf16") + ", k0 " + k0
            + ", rows " + rows + ", columns " + padded + ", imaginary " + imaginary + ") index " + i);
      }
    }
  }

  /** Halfway between two finite 16-bit values of magnitude below 4, of either sign. */
  private static double midpoint(SplittableRandom random, boolean binary16) {
    int bits = random.nextInt(binary16 ? 0x4400 : 0x4080);
    double low = binary16 ? Rounding.fromF16((short) bits) : Rounding.fromBf16((short) bits);
    double high = binary16 ? Rounding.fromF16((short) (bits + 1)) : Rounding.fromBf16((short) (bits + 1));
    double mid = (low + high) / 2;
    return random.nextBoolean() ? mid : -mid;
  }
}
