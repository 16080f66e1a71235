package org.ropeforge.core.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;

/**
 * Accuracy beyond the golden sample positions: random angles against 50-digit arithmetic, and whole
 * million-row tables against one-angle-at-a-time evaluation, so that an error growing with the position
 * between anchors would show.
 */
class RopeTableAccuracyTest {
  private static final int ROWS = 1 << 20;

  /** The rotation scheme's own error bound: a few double ulps of 1 (the golden tolerance allows 2^-46). */
  private static final double EXACT_ABS_ERROR = 0x1p-49;

  @Test
  void exactValuesAreWithinAFewDoubleUlpsOfFiftyDigitArithmetic() {
    SplittableRandom random = new SplittableRandom(20251128);
    double worst = 0;
    int misrounded = 0;
    int values = 0;
    for (int trial = 0; trial < 40; trial++) {
      double offset = trial % 4 == 1 ? 1.0 : trial % 4 == 3 ? 0.375 : 0.0;
      double scale = trial % 3 == 1 ? 8.0 : trial % 5 == 2 ? 3.0 : 1.0;
      double factor = trial % 2 == 0 ? 1.0 : 1 + random.nextDouble();
      double[] omega = new double[4];
      for (int j = 0; j < omega.length; j++) {
        omega[j] = Math.pow(10, -6 * random.nextDouble());
      }
      omega[0] = 1.0;
      LayerRope layer = new LayerRope(null, "default", 8, omega, factor, null, null, scale, offset);
      RopeTable wide = RopeTable.of(layer, TableOptions.DEFAULT.withDtype(Dtype.F64));
      RopeTable narrow = RopeTable.of(layer, TableOptions.DEFAULT);
      for (int sample = 0; sample < 25; sample++) {
        long p = sample < 3 ? RopeTable.ANCHOR_ROWS * (1 + trial) - 1 + sample : random.nextLong(ROWS);
        ByteBuffer cos = wide.rows(TablePart.COS, p, p + 1);
        ByteBuffer sin = wide.rows(TablePart.SIN, p, p + 1);
        ByteBuffer cosF = narrow.rows(TablePart.COS, p, p + 1);
        ByteBuffer sinF = narrow.rows(TablePart.SIN, p, p + 1);
        for (int j = 0; j < omega.length; j++) {
          BigDecimal[] exact = HighPrecision.cosSin(p, offset, scale, omega[j]);
          BigDecimal c = exact[0].multiply(new BigDecimal(factor));
          BigDecimal s = exact[1].multiply(new BigDecimal(factor));
          worst = Math.max(worst, error(cos.getDouble(8 * j), c) / factor);
          worst = Math.max(worst, error(sin.getDouble(8 * j), s) / factor);
          misrounded += cosF.getFloat(4 * j) == c.floatValue() ? 0 : 1;
          misrounded += sinF.getFloat(4 * j) == s.floatValue() ? 0 : 1;
          values += 2;
        }
      }
    }
    System.out.printf(Locale.ROOT, "exact vs 50 digits: worst |error| %.3g (%.2f double ulps of 1), %d of %d"
        + " float values not correctly rounded%n", worst, worst / Math.ulp(1.0), misrounded, values);
    assertTrue(worst <= EXACT_ABS_ERROR, "worst absolute error " + worst);
    assertTrue(misrounded <= values / 1000, misrounded + " of " + values + " float values misrounded");
  }

  @Test
  void errorDoesNotGrowAcrossAMillionRows() {
    double[] omega = frequencies(16, 500000.0);
    LayerRope layer = new LayerRope(null, "default", 16, omega, 1.0, null, null, 1.0, 0.0);
    int half = omega.length;
    ByteBuffer wide = RopeTable.of(layer, TableOptions.DEFAULT.withDtype(Dtype.F64)).rows(TablePart.SIN, 0, ROWS);
    ByteBuffer narrow = RopeTable.of(layer, TableOptions.DEFAULT).rows(TablePart.SIN, 0, ROWS);
    double[] reference = new double[2];
    double[] angle = new double[2];
    double worst = 0;
    long worstRow = -1;
    long misrounded = 0;
    for (int p = 0; p < ROWS; p++) {
      for (int j = 0; j < half; j++) {
        AngleMath.angle(p, 0.0, omega[j], 0.0, angle);
        AngleMath.cosSin(angle[0], angle[1], reference);
        double error = Math.abs(wide.getDouble(8 * (p * half + j)) - reference[1]);
        if (error > worst) {
          worst = error;
          worstRow = p;
        }
        misrounded += narrow.getFloat(4 * (p * half + j)) == (float) reference[1] ? 0 : 1;
      }
    }
    System.out.printf(Locale.ROOT, "exact, 2^20 rows x %d: worst |error| %.3g (%.2f double ulps of 1) at row %d;"
        + " %d of %d float values differ from the rounded reference%n", half, worst, worst / Math.ulp(1.0), worstRow,
        misrounded, (long) ROWS * half);
    assertTrue(worst <= EXACT_ABS_ERROR, "worst absolute error " + worst + " at row " + worstRow);
    assertTrue(misrounded <= (long) ROWS * half / 1_000_000, misrounded + " float values misrounded");
  }

  @Test
  void torchVectorPathEqualsTheFloatRecipeEvaluatedOneAngleAtATime() {
    double[] omega = frequencies(16, 10000.0);
    double factor = 1.1902380714238083;
    LayerRope layer = new LayerRope(null, "default", 16, omega, factor, null, null, 1.0, 0.0);
    int half = omega.length;
    ByteBuffer cos = RopeTable.of(layer, TableOptions.DEFAULT.withPrecision(Precision.TORCH))
        .rows(TablePart.COS, 0, ROWS);
    double[] reference = new double[2];
    float factorF = (float) factor;
    long differ = 0;
    double worstUlps = 0;
    for (int p = 0; p < ROWS; p++) {
      for (int j = 0; j < half; j++) {
        float theta = (float) p * (float) omega[j];
        AngleMath.cosSin(theta, 0.0, reference);
        float expected = TorchScaledRows.scaled(reference[0], factorF);
        float ours = cos.getFloat(4 * (p * half + j));
        if (ours != expected) {
          differ++;
          worstUlps = Math.max(worstUlps, Math.abs(ours - expected) / Math.ulp(expected));
        }
      }
    }
    System.out.printf(Locale.ROOT, "torch, 2^20 rows x %d: %d values differ from the one-angle recipe (worst %.1f"
        + " ulp)%n", half, differ, worstUlps);
    assertTrue(differ <= (long) ROWS * half / 1_000_000, differ + " values differ");
    assertTrue(worstUlps <= 1, "worst difference " + worstUlps + " ulp");
  }

  @Test
  void rowZeroIsTheAttentionFactorAndZero() {
    double factor = 1.3;
    LayerRope layer = new LayerRope(null, "yarn", 6, new double[] {1.0, 0.1, 0.01}, factor, null, null, 1.0, 0.0);
    for (Precision precision : Precision.values()) {
      RopeTable table = RopeTable.of(layer, TableOptions.DEFAULT.withPrecision(precision));
      ByteBuffer cos = table.rows(TablePart.COS, 0, 1);
      ByteBuffer sin = table.rows(TablePart.SIN, 0, 1);
      for (int j = 0; j < 3; j++) {
        assertEquals((float) factor, cos.getFloat(4 * j), precision + " cos[0][" + j + "]");
        assertEquals(0.0f, sin.getFloat(4 * j), precision + " sin[0][" + j + "]");
      }
    }
  }

  private static double error(double ours, BigDecimal exact) {
    return new BigDecimal(ours).subtract(exact).abs().doubleValue();
  }

  /** Default RoPE frequencies base^(-2j/d), rounded to float as transformers stores them. */
  static double[] frequencies(int rotaryDim, double base) {
    double[] omega = new double[rotaryDim / 2];
    for (int j = 0; j < omega.length; j++) {
      omega[j] = (float) (1.0 / Math.pow(base, 2.0 * j / rotaryDim));
    }
    return omega;
  }
}
