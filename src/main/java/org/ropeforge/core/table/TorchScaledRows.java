package org.ropeforge.core.table;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

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
  /** The same band as a distance from the nearest float: at least this many brackets away, the value is uncertain. */
  private static final double UNCERTAIN_FROM_NEAREST = 0.5 - UNCERTAIN_FROM_MIDPOINT;

  private static final VectorSpecies<Double> DOUBLES = DoubleVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Float> FLOATS =
      VectorSpecies.of(float.class, VectorShape.forBitSize(DOUBLES.vectorBitSize() / 2));
  private static final int LANES = DOUBLES.length();

  private TorchScaledRows() {}

  /**
   * {@link #scaled} of {@code exact[0..count)} into {@code out}, a vector of lanes at a time; {@code count} is a
   * multiple of the vector length (the tables' padded rows are).
   */
  static void scaleAll(double[] exact, float[] out, int count, float factor) {
    // Only float and double lanes and masks of one species each: C2 (JDK 17) compiles these to vector
    // instructions, where double-to-int conversions or int stepping of float bits fall back to slow lanes.
    for (int k = 0; k < count; k += LANES) {
      DoubleVector value = DoubleVector.fromArray(DOUBLES, exact, k);
      FloatVector nearest = (FloatVector) value.convertShape(VectorOperators.D2F, FLOATS, 0);
      DoubleVector nearestD = (DoubleVector) nearest.convertShape(VectorOperators.F2D, DOUBLES, 0);
      DoubleVector diff = value.sub(nearestD);
      // Twice the distance past the nearest float rounds to the other candidate wherever the band applies
      // (distance at least 0.375 of the bracket, at most half of it).
      FloatVector other = (FloatVector) nearestD.add(diff.mul(2.0)).convertShape(VectorOperators.D2F, FLOATS, 0);
      DoubleVector otherD = (DoubleVector) other.convertShape(VectorOperators.F2D, DOUBLES, 0);
      VectorMask<Double> uncertain = diff.abs()
          .compare(VectorOperators.GE, otherD.sub(nearestD).abs().mul(UNCERTAIN_FROM_NEAREST))
          .and(otherD.compare(VectorOperators.NE, nearestD));
      FloatVector product = nearest.mul(factor);
      FloatVector otherProduct = other.mul(factor);
      // The midpoint of the two products is exact in double; two ulps apart, it is the float between them.
      DoubleVector middle = ((DoubleVector) product.convertShape(VectorOperators.F2D, DOUBLES, 0))
          .add((DoubleVector) otherProduct.convertShape(VectorOperators.F2D, DOUBLES, 0)).mul(0.5);
      FloatVector middleF = (FloatVector) middle.convertShape(VectorOperators.D2F, FLOATS, 0);
      FloatVector chosen = (FloatVector) ((DoubleVector) product.convertShape(VectorOperators.F2D, DOUBLES, 0))
          .blend(middle, uncertain).convertShape(VectorOperators.D2F, FLOATS, 0);
      VectorMask<Float> twoApart = middleF.compare(VectorOperators.NE, product)
          .and(middleF.compare(VectorOperators.NE, otherProduct));
      product.blend(chosen, twoApart).intoArray(out, k);
    }
  }

  /** The stored value for an exact cos or sin (accurate to about a double ulp) scaled by {@code factor}. */
  static float scaled(double exact, float factor) {
    float nearest = (float) exact;
    float product = nearest * factor;
    if (exact == nearest) {
      return product;
    }
    float other = Math.nextAfter(nearest, exact);
    double bracket = Math.abs((double) other - nearest);
    if (!(Math.abs(exact - nearest) >= bracket * UNCERTAIN_FROM_NEAREST)) {
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
