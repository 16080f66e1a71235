package org.ropeforge.core.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The array conversions from floats (torch-mode tables) and the rounded rotations of exact-mode tables
 * ({@link RoundedRotation}), against the scalar reference {@link Rounding#toF16(double)} and {@link Rounding#toBf16(double)} (itself checked from first
 * principles in {@link RoundingTest}): every float32 bit pattern, and doubles chosen where rounding from double
 * can go wrong: either side of every midpoint between two 16-bit values by one double ulp or by bits below float
 * precision, subnormals of both formats and of double, the overflow boundaries, infinities, and NaNs of either
 * sign with any payload. The rotations get each value as the product fma(1, x, -0 * 0), which is x.
 */
class RoundingArraysTest {
  private static final int CHUNK = 1 << 16;
  /** Rotation columns per row, a multiple of any vector length: CHUNK values are 32 rows. */
  private static final int COLUMNS = CHUNK / 32;

  @Test
  void everyFloat32PatternConvertsAsTheReference() {
    float[] floats = new float[CHUNK];
    double[] doubles = new double[CHUNK];
    short[] f16 = new short[CHUNK];
    short[] bf16 = new short[CHUNK];
    short[] f16Rotated = new short[CHUNK];
    short[] bf16Rotated = new short[CHUNK];
    for (long start = 0; start < 1L << 32; start += CHUNK) {
      for (int i = 0; i < CHUNK; i++) {
        floats[i] = Float.intBitsToFloat((int) (start + i));
        doubles[i] = floats[i];
      }
      Rounding.toF16(floats, 0, f16, 0, CHUNK);
      Rounding.toBf16(floats, 0, bf16, 0, CHUNK);
      rotated(doubles, f16Rotated, bf16Rotated);
      for (int i = 0; i < CHUNK; i++) {
        short expectedF16 = Rounding.toF16(doubles[i]);
        short expectedBf16 = Rounding.toBf16(doubles[i]);
        if (f16[i] != expectedF16 || f16Rotated[i] != expectedF16 || bf16[i] != expectedBf16
            || bf16Rotated[i] != expectedBf16) {
          fail(String.format("float bits %08x: f16 %04x/%04x (float/rotation input), reference %04x;"
              + " bf16 %04x/%04x, reference %04x", start + i, f16[i], f16Rotated[i], expectedF16, bf16[i],
              bf16Rotated[i], expectedBf16));
        }
      }
    }
  }

  @Test
  void doublesAroundEveryRoundingBoundaryConvertAsTheReference() {
    double[] values = boundaryDoubles();
    short[] f16Rotated = new short[values.length];
    short[] bf16Rotated = new short[values.length];
    double[] chunk = new double[CHUNK];
    short[] f16Chunk = new short[CHUNK];
    short[] bf16Chunk = new short[CHUNK];
    for (int start = 0; start < values.length; start += CHUNK) {
      int count = Math.min(CHUNK, values.length - start);
      Arrays.fill(chunk, 0.0);
      System.arraycopy(values, start, chunk, 0, count);
      rotated(chunk, f16Chunk, bf16Chunk);
      System.arraycopy(f16Chunk, 0, f16Rotated, start, count);
      System.arraycopy(bf16Chunk, 0, bf16Rotated, start, count);
    }
    for (int i = 0; i < values.length; i++) {
      double x = values[i];
      String bits = Long.toHexString(Double.doubleToRawLongBits(x));
      assertEquals(Rounding.toF16(x), f16Rotated[i], () -> "rotated f16 of " + x + " (" + bits + ")");
      assertEquals(Rounding.toBf16(x), bf16Rotated[i], () -> "rotated bf16 of " + x + " (" + bits + ")");
    }
  }

  /**
   * {@code values} (CHUNK of them) through the rounded rotations as products fma(1, x, -0 * 0) = x: the real part
   * with a = 1, b = 0 and d = 0, over 32 rows (the tables' block height) of CHUNK / 32 columns.
   */
  private static void rotated(double[] values, short[] f16, short[] bf16) {
    double[] one = new double[COLUMNS];
    Arrays.fill(one, 1.0);
    double[] zeros = new double[CHUNK];
    RoundedRotation.toF16(one, zeros, values, zeros, 0, 32, COLUMNS, false, f16);
    RoundedRotation.toBf16(one, zeros, values, zeros, 0, 32, COLUMNS, false, bf16);
  }

  @Test
  void rangesAtAnyOffsetAndLengthConvertOnlyTheirValues() {
    double[] source = floatValued(boundaryDoubles());
    float[] floats = floats(source);
    SplittableRandom random = new SplittableRandom(11);
    for (int trial = 0; trial < 200; trial++) {
      int from = random.nextInt(100);
      int to = random.nextInt(100);
      int count = random.nextInt(trial % 10 == 0 ? 700 : 70);
      short[] out = new short[to + count + 5];
      Arrays.fill(out, (short) 0x5A5A);
      boolean half = trial % 2 == 0;
      if (half) {
        Rounding.toF16(floats, from, out, to, count);
      } else {
        Rounding.toBf16(floats, from, out, to, count);
      }
      for (int i = 0; i < out.length; i++) {
        short expected = i < to || i >= to + count ? (short) 0x5A5A
            : half ? Rounding.toF16(source[from + i - to]) : Rounding.toBf16(source[from + i - to]);
        assertEquals(expected, out[i], "trial " + trial + " index " + i);
      }
    }
  }

  private static float[] floats(double[] values) {
    float[] out = new float[1000];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) values[i];
    }
    return out;
  }

  private static double[] floatValued(double[] values) {
    float[] floats = floats(values);
    double[] out = new double[floats.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = floats[i];
    }
    return out;
  }

  private static double[] boundaryDoubles() {
    SplittableRandom random = new SplittableRandom(2026);
    double[] out = new double[2_000_000];
    int n = 0;
    double[] special = {0.0, -0.0, Double.MIN_VALUE, -Double.MIN_VALUE, Double.MIN_NORMAL, Double.MAX_VALUE,
        -Double.MAX_VALUE, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 65504, 65519.99999999999, 65520,
        -65520, 65536, 131072, 0x1.fefp127, 0x1.fe8p127, Math.nextDown(0x1.fe8p127), 0x1p128, Float.MAX_VALUE,
        0x1p-24, 0x1p-25, Math.nextUp(0x1p-25), 0x1.8p-25, 0x1p-14, Math.nextDown(0x1p-14), 0x1p-133, 0x1p-134,
        Math.nextUp(0x1p-134), 0x1.8p-134, 0x1p-126, Math.nextDown(0x1p-126), 0x1p-149, 0x1p-150, 1e-300, 1e300};
    for (double s : special) {
      out[n++] = s;
      out[n++] = -s;
    }
    long[] nans = {0x7FF8_0000_0000_0000L, 0x7FF0_0000_0000_0001L, 0x7FFF_FFFF_FFFF_FFFFL,
        0x7FF4_0000_0000_0000L, 0x7FFC_0000_1234_5678L};
    for (long nan : nans) {
      out[n++] = Double.longBitsToDouble(nan);
      out[n++] = Double.longBitsToDouble(nan | 0x8000_0000_0000_0000L);
    }
    // Each 16-bit value's upper midpoint, computed exactly from the value and the next one, then nudged.
    for (int bits = 0; bits < 0x7F80; bits++) {
      for (int format = 0; format < 2; format++) {
        if (format == 0 && bits >= 0x7C00) {
          continue;
        }
        double low = format == 0 ? Rounding.fromF16((short) bits) : Rounding.fromBf16((short) bits);
        double high = format == 0 ? Rounding.fromF16((short) (bits + 1)) : Rounding.fromBf16((short) (bits + 1));
        // One above the largest finite value the exponent range continues: the midpoint that overflows.
        if (Double.isInfinite(high)) {
          high = 2 * low - (format == 0 ? Rounding.fromF16((short) (bits - 1)) : Rounding.fromBf16((short) (bits - 1)));
        }
        double mid = (low + high) / 2;
        double sticky = (high - low) * 0x1p-40;
        double[] near = {mid, Math.nextUp(mid), Math.nextDown(mid), mid + sticky, mid - sticky, low, high,
            low + (high - low) * random.nextDouble()};
        for (double x : near) {
          out[n++] = x;
          out[n++] = -x;
        }
      }
    }
    while (n < out.length) {
      double magnitude = random.nextInt(4) == 0
          ? Double.longBitsToDouble(random.nextLong() & 0x7FFF_FFFF_FFFF_FFFFL)
          : Math.scalb(1 + random.nextDouble(), random.nextInt(-160, 140));
      out[n++] = random.nextBoolean() ? magnitude : -magnitude;
    }
    return out;
  }
}
