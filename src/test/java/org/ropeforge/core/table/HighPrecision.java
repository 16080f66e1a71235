package org.ropeforge.core.table;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/** cos and sin in BigDecimal arithmetic (50 digits), independent of the code under test. */
final class HighPrecision {
  private static final MathContext MC = new MathContext(50, RoundingMode.HALF_EVEN);
  private static final BigDecimal PI =
      new BigDecimal("3.14159265358979323846264338327950288419716939937510582097494459230781640629");
  private static final BigDecimal TWO_PI = PI.add(PI);

  private HighPrecision() {}

  /** {cos, sin} of ((position + offset) / scale) * omega, all operands taken as the exact binary values. */
  static BigDecimal[] cosSin(long position, double offset, double scale, double omega) {
    BigDecimal x = new BigDecimal(position).add(new BigDecimal(offset))
        .divide(new BigDecimal(scale), MC)
        .multiply(new BigDecimal(omega), MC);
    BigDecimal turns = x.divide(TWO_PI, 0, RoundingMode.HALF_EVEN);
    BigDecimal r = x.subtract(turns.multiply(TWO_PI, MC), MC);
    BigDecimal r2 = r.multiply(r, MC);
    BigDecimal cos = BigDecimal.ONE;
    BigDecimal sin = r;
    BigDecimal termCos = BigDecimal.ONE;
    BigDecimal termSin = r;
    BigDecimal epsilon = new BigDecimal("1e-45");
    for (int k = 1; k < 200 && (termCos.abs().compareTo(epsilon) > 0 || termSin.abs().compareTo(epsilon) > 0); k++) {
      termCos = termCos.multiply(r2, MC).divide(BigDecimal.valueOf((2L * k - 1) * (2L * k)), MC).negate();
      termSin = termSin.multiply(r2, MC).divide(BigDecimal.valueOf((2L * k) * (2L * k + 1)), MC).negate();
      cos = cos.add(termCos, MC);
      sin = sin.add(termSin, MC);
    }
    return new BigDecimal[] {cos, sin};
  }
}
