package org.ropeforge.core.table;

/**
 * Conversions between double and the 16-bit float formats. Rounding goes straight from the double, to nearest
 * with ties to even; going through float first would round twice and can differ in the last bit.
 */
public final class Rounding {
  private Rounding() {}

  /** The IEEE binary16 bits nearest to {@code x}; overflow gives infinity, NaN a quiet NaN. */
  public static short toF16(double x) {
    return (short) round(x, 10, 15, 0x7C00, 0x7E00);
  }

  /** The bfloat16 bits nearest to {@code x}; overflow gives infinity, NaN a quiet NaN. */
  public static short toBf16(double x) {
    return (short) round(x, 7, 127, 0x7F80, 0x7FC0);
  }

  /**
   * Rounds to a binary format with {@code mantissaBits} stored fraction bits and exponent bias {@code bias}
   * (its smallest normal exponent is 1 - bias), returning the sign, exponent and fraction fields.
   */
  private static int round(double x, int mantissaBits, int bias, int infinity, int nan) {
    long bits = Double.doubleToRawLongBits(x);
    int sign = (int) (bits >>> 48) & 0x8000;
    long abs = bits & 0x7FFF_FFFF_FFFF_FFFFL;
    if (abs >= 0x7FF0_0000_0000_0000L) {
      return sign | (abs == 0x7FF0_0000_0000_0000L ? infinity : nan);
    }
    int exponent = (int) (abs >>> 52) - 1023;
    if (exponent >= 1 - bias) {
      // Round the 52-bit fraction to mantissaBits, ties to even; a carry rolls into the exponent, as it must.
      int shift = 52 - mantissaBits;
      long rounded = (abs + ((1L << (shift - 1)) - 1) + ((abs >>> shift) & 1)) >>> shift;
      long field = rounded - ((long) (1023 - bias) << mantissaBits);
      return sign | (int) Math.min(field, infinity);
    }
    // Subnormal range: scaling by a power of two is exact, so rint rounds the fraction in units of the
    // smallest subnormal; a result of 2^mantissaBits is the smallest normal, whose encoding it already is.
    double units = Math.rint(Math.abs(x) * Math.scalb(1.0, bias - 1 + mantissaBits));
    return sign | (int) units;
  }

  /** The value of binary16 bits. */
  public static double fromF16(short h) {
    int bits = h & 0xFFFF;
    int exponent = (bits >>> 10) & 0x1F;
    int fraction = bits & 0x3FF;
    double magnitude;
    if (exponent == 0x1F) {
      magnitude = fraction == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
    } else if (exponent == 0) {
      magnitude = Math.scalb((double) fraction, -24);
    } else {
      magnitude = Math.scalb((double) (fraction | 0x400), exponent - 25);
    }
    return (bits & 0x8000) != 0 ? -magnitude : magnitude;
  }

  /** The value of bfloat16 bits. */
  public static double fromBf16(short b) {
    return Float.intBitsToFloat((b & 0xFFFF) << 16);
  }
}
