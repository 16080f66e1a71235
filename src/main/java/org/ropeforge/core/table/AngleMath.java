package org.ropeforge.core.table;

/**
 * cos and sin of angles held as double-doubles, accurate to about one double ulp of 1 however large the angle.
 *
 * <p>A product p * omega of a position below 2^31 and a double frequency has up to 84 significant bits, so it is
 * carried as an unevaluated sum hi + lo (Dekker's two-product via fma). Reduction by 2 pi uses 2 pi split into
 * three doubles (Cody-Waite): n * C1 is exact by fma and hi - n * C1 is exact by Sterbenz's lemma, so the
 * reduced angle keeps ~100 bits. fdlibm ({@link StrictMath}) then evaluates the reduced angle, which makes the
 * results identical on every JVM and CPU; the table kernels rely on that for byte-reproducible output.
 */
final class AngleMath {
  /** 2 pi = C1 + C2 + C3 to about 160 bits. */
  private static final double TWO_PI_1 = 6.283185307179586;
  private static final double TWO_PI_2 = 2.4492935982947064e-16;
  private static final double TWO_PI_3 = -5.989539619436679e-33;

  private AngleMath() {}

  /** Writes cos(hi + lo) to {@code out[0]} and sin(hi + lo) to {@code out[1]}; needs |hi| below 2^40. */
  static void cosSin(double hi, double lo, double[] out) {
    double n = Math.rint(hi / TWO_PI_1);
    double a = n * TWO_PI_1;
    double aErr = Math.fma(n, TWO_PI_1, -a);
    double b = n * TWO_PI_2;
    double bErr = Math.fma(n, TWO_PI_2, -b);
    double head = hi - a;
    double tail = (((lo - aErr) - b) - bErr) - n * TWO_PI_3;
    double r = head + tail;
    double rLo = twoSumError(head, tail, r);
    double c = StrictMath.cos(r);
    double s = StrictMath.sin(r);
    // First-order correction for the low part; |rLo| < 2^-52 so the quadratic term is below 2^-105.
    out[0] = c - s * rLo;
    out[1] = s + c * rLo;
  }

  /**
   * The angle (position + offset) * omega as a double-double {@code out[0] + out[1]}, where omega is itself the
   * double-double {@code omegaHi + omegaLo}.
   */
  static void angle(long position, double offset, double omegaHi, double omegaLo, double[] out) {
    double x = (double) position;
    double xHi = x + offset;
    double xLo = twoSumError(x, offset, xHi);
    double p = xHi * omegaHi;
    double pErr = Math.fma(xHi, omegaHi, -p) + (xHi * omegaLo + xLo * omegaHi);
    double hi = p + pErr;
    out[0] = hi;
    out[1] = pErr - (hi - p);
  }

  /** omega / scale as a double-double {@code out[0] + out[1]}. */
  static void divide(double omega, double scale, double[] out) {
    double q = omega / scale;
    out[0] = q;
    out[1] = Math.fma(-q, scale, omega) / scale;
  }

  /** The rounding error of {@code sum = a + b} (Knuth's two-sum): a + b = sum + error exactly. */
  private static double twoSumError(double a, double b, double sum) {
    double bVirtual = sum - a;
    double aVirtual = sum - bVirtual;
    return (a - aVirtual) + (b - bVirtual);
  }
}
