package org.ropeforge.core.table;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Conversions between double and the 16-bit float formats. Rounding goes straight from the double, to nearest
 * with ties to even; going through float first would round twice and can differ in the last bit.
 *
 * <p>The scalar {@link #toF16(double)} and {@link #toBf16(double)} are the reference. The array forms from
 * floats, which torch-mode tables use, give the same bits several values at a time in vector lanes; exact-mode
 * tables round their doubles as they compute them ({@link RoundedRotation}).
 */
public final class Rounding {
  private Rounding() {}

  private static final VectorSpecies<Double> DOUBLES = DoubleVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Float> FLOATS =
      VectorSpecies.of(float.class, VectorShape.forBitSize(Math.max(64, DOUBLES.vectorBitSize() / 2)));
  private static final VectorSpecies<Integer> INTS =
      VectorSpecies.of(int.class, VectorShape.forBitSize(Math.max(64, DOUBLES.vectorBitSize() / 2)));
  private static final VectorSpecies<Short> SHORTS =
      VectorSpecies.of(short.class, VectorShape.forBitSize(Math.max(64, DOUBLES.vectorBitSize() / 4)));
  private static final int LANES = DOUBLES.length();
  /**
   * The 16-bit lanes of a double vector need a quarter of its width, and no vector is narrower than 64 bits:
   * with 128-bit vectors (NEON, SSE) each lane takes the scalar reference.
   */
  private static final boolean VECTORS = DOUBLES.vectorBitSize() >= 256;

  private static final int FLOAT_MAGNITUDE = 0x7FFF_FFFF;
  private static final int FLOAT_INFINITY = 0x7F80_0000;
  /** Float bits of 2^-14, binary16's smallest normal. */
  private static final int F16_MIN_NORMAL = 113 << 23;
  /** Added to float bits, turns the float exponent field into binary16's (bias 15 against 127). */
  private static final int F16_REBIAS_BITS = -(112 << 23);
  /** Float magnitudes from here up (65520) round to binary16 infinity, or are NaN. */
  private static final int F16_FLOAT_OVERFLOW = (0x7C00 << 13) - F16_REBIAS_BITS - 0x1000;
  /** Values per chunk of the array forms whose lanes are checked together. */
  private static final int CHUNK = 256;

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

  // The array forms keep every vector inside their own bodies: the JDK's vector methods are always inlined, but a
  // vector passed to or returned from a method of ours that C2 declines to inline (a caller that has used up its
  // inlining budget) is allocated on the heap, which makes the loop ten times slower.

  /**
   * {@link #toF16(double)} of the floats {@code src[from ..]} into {@code dst[to ..]}, {@code count} values.
   * Normal binary16 values round half up at bit 13, which is nearest even but for exact ties; the loop notes in
   * running minima and maxima whether any lane of a chunk of {@link #CHUNK} values lay on a tie, was NaN or
   * may round to infinity, and such a chunk (about one in thirty) is done again with a test per vector, the
   * lanes in doubt taking the scalar reference. The second pass lives in this method: a method of its own,
   * called that rarely, could run unoptimised for a long time, and the vector API without C2 is a hundred
   * times slower.
   */
  public static void toF16(float[] src, int from, short[] dst, int to, int count) {
    int vectorEnd = VECTORS ? count - count % LANES : 0;
    for (int start = 0; start < vectorEnd; start += CHUNK) {
      int end = Math.min(vectorEnd, start + CHUNK);
      // Lowest (bits << 19): Integer.MIN_VALUE for a tie (low 13 bits 0x1000); largest magnitude.
      IntVector lowest = IntVector.broadcast(INTS, Integer.MAX_VALUE);
      IntVector largest = IntVector.zero(INTS);
      for (int i = start; i < end; i += LANES) {
        IntVector bits = FloatVector.fromArray(FLOATS, src, from + i).reinterpretAsInts();
        IntVector magnitude = bits.and(FLOAT_MAGNITUDE);
        lowest = lowest.min(magnitude.lanewise(VectorOperators.LSHL, 19));
        largest = largest.max(magnitude);
        // Below 2^-14, adding 0.5 rounds the float to a multiple of 2^-24 once (nearest even), and the sum's
        // low bits are then binary16's subnormal fraction (1024, the smallest normal, where the rounding carries).
        IntVector subnormal = magnitude.reinterpretAsFloats().add(0.5f).reinterpretAsInts().sub(0x3F00_0000);
        // From 2^-14: rounded at bit 13 and rebiased; below F16_FLOAT_OVERFLOW the field stays under 0x7C00.
        IntVector half = magnitude.add(F16_REBIAS_BITS + 0x1000).lanewise(VectorOperators.LSHR, 13)
            .blend(subnormal, magnitude.compare(VectorOperators.LT, F16_MIN_NORMAL));
        ((ShortVector) half.or(bits.lanewise(VectorOperators.LSHR, 16).and(0x8000))
            .convertShape(VectorOperators.I2S, SHORTS, 0)).intoArray(dst, to + i);
      }
      if (lowest.reduceLanes(VectorOperators.MIN) != Integer.MIN_VALUE
          && largest.reduceLanes(VectorOperators.MAX) < F16_FLOAT_OVERFLOW) {
        continue;
      }
      // The chunk again, vector by vector: in this method, so that C2 compiles it with the loop above.
      for (int i = start; i < end; i += LANES) {
        IntVector bits = FloatVector.fromArray(FLOATS, src, from + i).reinterpretAsInts();
        IntVector magnitude = bits.and(FLOAT_MAGNITUDE);
        if (magnitude.and(0x1FFF).compare(VectorOperators.EQ, 0x1000)
            .or(magnitude.compare(VectorOperators.GE, F16_FLOAT_OVERFLOW)).anyTrue()) {
          for (int k = i; k < i + LANES; k++) {
            dst[to + k] = toF16(src[from + k]);
          }
        } else {
          IntVector subnormal = magnitude.reinterpretAsFloats().add(0.5f).reinterpretAsInts().sub(0x3F00_0000);
          IntVector half = magnitude.add(F16_REBIAS_BITS + 0x1000).lanewise(VectorOperators.LSHR, 13)
              .blend(subnormal, magnitude.compare(VectorOperators.LT, F16_MIN_NORMAL));
          ((ShortVector) half.or(bits.lanewise(VectorOperators.LSHR, 16).and(0x8000))
              .convertShape(VectorOperators.I2S, SHORTS, 0)).intoArray(dst, to + i);
        }
      }
    }
    for (int i = vectorEnd; i < count; i++) {
      dst[to + i] = toF16(src[from + i]);
    }
  }

  /**
   * {@link #toBf16(double)} of the floats {@code src[from ..]} into {@code dst[to ..]}, {@code count} values;
   * rounding half up at bit 16, chunks with a tie or a NaN done again (about one in 250), as in
   * {@link #toF16(float[], int, short[], int, int)}.
   */
  public static void toBf16(float[] src, int from, short[] dst, int to, int count) {
    int vectorEnd = VECTORS ? count - count % LANES : 0;
    for (int start = 0; start < vectorEnd; start += CHUNK) {
      int end = Math.min(vectorEnd, start + CHUNK);
      // Lowest (bits << 16): Integer.MIN_VALUE for a tie (low 16 bits 0x8000); largest magnitude.
      IntVector lowest = IntVector.broadcast(INTS, Integer.MAX_VALUE);
      IntVector largest = IntVector.zero(INTS);
      for (int i = start; i < end; i += LANES) {
        IntVector bits = FloatVector.fromArray(FLOATS, src, from + i).reinterpretAsInts();
        lowest = lowest.min(bits.lanewise(VectorOperators.LSHL, 16));
        largest = largest.max(bits.and(FLOAT_MAGNITUDE));
        // Rounded at bit 16, sign included; a carry out of the fraction rolls into the exponent, up to
        // infinity, as it must.
        ((ShortVector) bits.add(0x8000).lanewise(VectorOperators.LSHR, 16)
            .convertShape(VectorOperators.I2S, SHORTS, 0)).intoArray(dst, to + i);
      }
      if (lowest.reduceLanes(VectorOperators.MIN) != Integer.MIN_VALUE
          && largest.reduceLanes(VectorOperators.MAX) <= FLOAT_INFINITY) {
        continue;
      }
      // The chunk again, vector by vector: in this method, so that C2 compiles it with the loop above.
      for (int i = start; i < end; i += LANES) {
        IntVector bits = FloatVector.fromArray(FLOATS, src, from + i).reinterpretAsInts();
        if (bits.and(0xFFFF).compare(VectorOperators.EQ, 0x8000)
            .or(bits.and(FLOAT_MAGNITUDE).compare(VectorOperators.GT, FLOAT_INFINITY)).anyTrue()) {
          for (int k = i; k < i + LANES; k++) {
            dst[to + k] = toBf16(src[from + k]);
          }
        } else {
          ((ShortVector) bits.add(0x8000).lanewise(VectorOperators.LSHR, 16)
              .convertShape(VectorOperators.I2S, SHORTS, 0)).intoArray(dst, to + i);
        }
      }
    }
    for (int i = vectorEnd; i < count; i++) {
      dst[to + i] = toBf16(src[from + i]);
    }
  }
}
