package org.ropeforge.core.table;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * One component of a complex product, rounded to a 16-bit format in the same loop: for rows i &lt; rows and
 * columns j &lt; padded, {@code out[i * padded + j]} = the f16 or bf16 bits of
 * {@code fma(a[j], c[s], b'[j] * d[s])} with s = (k0 + i) * padded + j and b' = b for the imaginary part, -b for
 * the real one (the caller swaps a and b for the imaginary part). These are the bits of
 * {@link Rounding#toF16(double)} and {@link Rounding#toBf16(double)} of that double, for any input.
 *
 * <p>Rounding as the values are produced saves writing the doubles and reading them back. Each vector converts
 * to float (nearest even) and rounds the float bits half up. Together they give the value rounded once to
 * nearest even except where the float lies exactly halfway between two 16-bit values: a tie, which half up
 * breaks the wrong way half the time, or a double that float rounded onto the midpoint. Instead of testing every vector (a branch per vector costs more than the
 * rounding), the loop folds into running minima and maxima whether any lane of a column strip (the rows of
 * one vector of columns, up to 32) met such a float, a NaN or, for f16, a value that may round to infinity.
 * Such a strip, about one in thirty for f16 and one in 250 for bf16, is done again with a test per vector, and
 * the lanes in doubt take the scalar reference. The second pass lives in the same method as the first: a
 * method of its own, called that rarely, could run unoptimised for a long time, and the vector API without C2
 * is a hundred times slower.
 *
 * <p>Every vector stays inside the method that creates it: a vector passed to or returned from a method that C2
 * declines to inline is allocated on the heap, which makes the loop ten times slower.
 */
final class RoundedRotation {
  private RoundedRotation() {}

  private static final VectorSpecies<Double> DOUBLES = DoubleVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Float> FLOATS =
      VectorSpecies.of(float.class, VectorShape.forBitSize(Math.max(64, DOUBLES.vectorBitSize() / 2)));
  private static final VectorSpecies<Integer> INTS =
      VectorSpecies.of(int.class, VectorShape.forBitSize(Math.max(64, DOUBLES.vectorBitSize() / 2)));
  private static final VectorSpecies<Short> SHORTS =
      VectorSpecies.of(short.class, VectorShape.forBitSize(Math.max(64, DOUBLES.vectorBitSize() / 4)));
  /** Lanes per vector; callers pad their columns to a multiple of it. */
  static final int LANES = DOUBLES.length();
  /** The 16-bit lanes need a quarter of the double vector's width and at least 64 bits; else scalar. */
  private static final boolean VECTORS = DOUBLES.vectorBitSize() >= 256;

  private static final int FLOAT_MAGNITUDE = 0x7FFF_FFFF;
  private static final int FLOAT_INFINITY = 0x7F80_0000;
  /** binary16 scaled by this has float's exponent field, and its subnormals are float subnormals. */
  private static final double F16_REBIAS = 0x1p-112;
  /**
   * Scaled float magnitudes from here up may round to binary16 infinity (65520 and above) or are NaN; below
   * it the rounded field stays under 0x7C00.
   */
  private static final int F16_OVERFLOW_BITS = (0x7C00 << 13) - 0x1000;

  /** The f16 bits of the products; see the class comment. */
  static void toF16(double[] a, double[] b, double[] c, double[] d, int k0, int rows, int padded,
      boolean imaginary, short[] out) {
    if (!VECTORS) {
      scalar(a, b, c, d, k0, rows, padded, 0, padded, imaginary, true, out, 0);
      return;
    }
    for (int j = 0; j < padded; j += LANES) {
      DoubleVector av = DoubleVector.fromArray(DOUBLES, a, j);
      DoubleVector bv = DoubleVector.fromArray(DOUBLES, b, j);
      if (!imaginary) {
        bv = bv.neg();
      }
      // Lowest (bits << 19): Integer.MIN_VALUE where a float lay on a midpoint (low 13 bits 0x1000); largest
      // magnitude: F16_OVERFLOW_BITS or more for a possible overflow or a NaN.
      IntVector lowest = IntVector.broadcast(INTS, Integer.MAX_VALUE);
      IntVector largest = IntVector.zero(INTS);
      for (int i = 0; i < rows; i++) {
        int step = (k0 + i) * padded + j;
        DoubleVector v = av.fma(DoubleVector.fromArray(DOUBLES, c, step),
            bv.mul(DoubleVector.fromArray(DOUBLES, d, step)));
        // Scaled by 2^-112 (exactly, in double), a value's float exponent field is binary16's, and binary16's
        // subnormals become float subnormals with the same fraction: bit 13 is the rounding point throughout.
        IntVector bits = ((FloatVector) v.mul(F16_REBIAS).convertShape(VectorOperators.D2F, FLOATS, 0))
            .reinterpretAsInts();
        IntVector magnitude = bits.and(FLOAT_MAGNITUDE);
        lowest = lowest.min(magnitude.lanewise(VectorOperators.LSHL, 19));
        largest = largest.max(magnitude);
        // Rounded half up at bit 13; a carry rolls into the exponent.
        IntVector half = magnitude.add(0x1000).lanewise(VectorOperators.LSHR, 13);
        ((ShortVector) half.or(bits.lanewise(VectorOperators.LSHR, 16).and(0x8000))
            .convertShape(VectorOperators.I2S, SHORTS, 0)).intoArray(out, i * padded + j);
      }
      if (lowest.reduceLanes(VectorOperators.MIN) != Integer.MIN_VALUE
          && largest.reduceLanes(VectorOperators.MAX) < F16_OVERFLOW_BITS) {
        continue;
      }
      // The strip again, vector by vector: in this method, so that C2 compiles it with the loop above.
      for (int i = 0; i < rows; i++) {
        int step = (k0 + i) * padded + j;
        DoubleVector v = av.fma(DoubleVector.fromArray(DOUBLES, c, step),
            bv.mul(DoubleVector.fromArray(DOUBLES, d, step)));
        IntVector bits = ((FloatVector) v.mul(F16_REBIAS).convertShape(VectorOperators.D2F, FLOATS, 0))
            .reinterpretAsInts();
        IntVector magnitude = bits.and(FLOAT_MAGNITUDE);
        if (magnitude.and(0x1FFF).compare(VectorOperators.EQ, 0x1000)
            .or(magnitude.compare(VectorOperators.GE, F16_OVERFLOW_BITS)).anyTrue()) {
          scalar(a, b, c, d, k0 + i, 1, padded, j, j + LANES, imaginary, true, out, i * padded);
        } else {
          IntVector half = magnitude.add(0x1000).lanewise(VectorOperators.LSHR, 13);
          ((ShortVector) half.or(bits.lanewise(VectorOperators.LSHR, 16).and(0x8000))
              .convertShape(VectorOperators.I2S, SHORTS, 0)).intoArray(out, i * padded + j);
        }
      }
    }
  }

  /** The bf16 bits of the products; see the class comment. */
  static void toBf16(double[] a, double[] b, double[] c, double[] d, int k0, int rows, int padded,
      boolean imaginary, short[] out) {
    if (!VECTORS) {
      scalar(a, b, c, d, k0, rows, padded, 0, padded, imaginary, false, out, 0);
      return;
    }
    for (int j = 0; j < padded; j += LANES) {
      DoubleVector av = DoubleVector.fromArray(DOUBLES, a, j);
      DoubleVector bv = DoubleVector.fromArray(DOUBLES, b, j);
      if (!imaginary) {
        bv = bv.neg();
      }
      // Lowest (bits << 16): Integer.MIN_VALUE where a float lay on a midpoint (low 16 bits 0x8000); largest
      // magnitude: above the infinity bits for a NaN.
      IntVector lowest = IntVector.broadcast(INTS, Integer.MAX_VALUE);
      IntVector largest = IntVector.zero(INTS);
      for (int i = 0; i < rows; i++) {
        int step = (k0 + i) * padded + j;
        DoubleVector v = av.fma(DoubleVector.fromArray(DOUBLES, c, step),
            bv.mul(DoubleVector.fromArray(DOUBLES, d, step)));
        IntVector bits = ((FloatVector) v.convertShape(VectorOperators.D2F, FLOATS, 0)).reinterpretAsInts();
        lowest = lowest.min(bits.lanewise(VectorOperators.LSHL, 16));
        largest = largest.max(bits.and(FLOAT_MAGNITUDE));
        // Rounded half up at bit 16, sign included; a carry out of the fraction rolls into the exponent, up to
        // infinity, as it must.
        ((ShortVector) bits.add(0x8000).lanewise(VectorOperators.LSHR, 16)
            .convertShape(VectorOperators.I2S, SHORTS, 0)).intoArray(out, i * padded + j);
      }
      if (lowest.reduceLanes(VectorOperators.MIN) != Integer.MIN_VALUE
          && largest.reduceLanes(VectorOperators.MAX) <= FLOAT_INFINITY) {
        continue;
      }
      // The strip again, vector by vector: in this method, so that C2 compiles it with the loop above.
      for (int i = 0; i < rows; i++) {
        int step = (k0 + i) * padded + j;
        DoubleVector v = av.fma(DoubleVector.fromArray(DOUBLES, c, step),
            bv.mul(DoubleVector.fromArray(DOUBLES, d, step)));
        IntVector bits = ((FloatVector) v.convertShape(VectorOperators.D2F, FLOATS, 0)).reinterpretAsInts();
        if (bits.and(0xFFFF).compare(VectorOperators.EQ, 0x8000)
            .or(bits.and(FLOAT_MAGNITUDE).compare(VectorOperators.GT, FLOAT_INFINITY)).anyTrue()) {
          scalar(a, b, c, d, k0 + i, 1, padded, j, j + LANES, imaginary, false, out, i * padded);
        } else {
          ((ShortVector) bits.add(0x8000).lanewise(VectorOperators.LSHR, 16)
              .convertShape(VectorOperators.I2S, SHORTS, 0)).intoArray(out, i * padded + j);
        }
      }
    }
  }

  /**
   * The scalar reference for columns [from, to) of step rows k0 .. k0 + rows - 1, into
   * {@code out[at + i * padded + j]}: the same operations as a vector lane, value by value.
   */
  private static void scalar(double[] a, double[] b, double[] c, double[] d, int k0, int rows, int padded,
      int from, int to, boolean imaginary, boolean binary16, short[] out, int at) {
    for (int i = 0; i < rows; i++) {
      for (int j = from; j < to; j++) {
        int step = (k0 + i) * padded + j;
        double v = Math.fma(a[j], c[step], (imaginary ? b[j] : -b[j]) * d[step]);
        out[at + i * padded + j] = binary16 ? Rounding.toF16(v) : Rounding.toBf16(v);
      }
    }
  }
}
