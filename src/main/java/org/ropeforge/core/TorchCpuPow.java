package org.ropeforge.core;

/**
 * torch's float32 {@code base ** tensor} on an x86-64 CPU, bit for bit, as transformers forms the frequency ladder.
 *
 * <p>Where the values come from (checked against torch 2.13's CPU build by calling its own kernels): ATen's
 * vectorised loop hands the tensor to SLEEF's {@code powf} (the 1.0-ulp variant) {@value #VECTOR_LANES} lanes at a
 * time on an AVX-512 machine, and the remainder, fewer than {@value #VECTOR_LANES} elements, to the C library's
 * scalar {@code powf}. Neither is correctly rounded: SLEEF's result is within 1 ulp (1.8% of random pairs differ
 * from the correctly rounded power), glibc's within 0.82 ulp (0.07%); both are reproduced here. An AVX2 machine
 * takes 16 lanes at a time instead, so there entries 16 to 31 of a remainder would come from SLEEF.
 *
 * <p>The vector path below follows SLEEF's algorithm step by step: the logarithm of the base as a float pair
 * (head and tail, each a float32) from the mantissa in [0.75, 1.5) and an odd polynomial in (m - 1)/(m + 1), its
 * product with the exponent, and the exponential of that pair by a ln 2 reduction and a polynomial, every float
 * operation rounded as the AVX-512 kernel rounds it (fused multiply-adds where it fuses). Only finite positive
 * bases and finite exponents reach it; everything else takes the correctly rounded path. The scalar path
 * follows glibc's powf (2.28 and later) in double arithmetic, with the fused multiply-adds of its x86-64 FMA build.
 */
public final class TorchCpuPow {
  /** Elements per step of ATen's vectorised loop on AVX-512: two registers of 16 floats. */
  public static final int VECTOR_LANES = 32;

  private static final float LN2_HEAD = 0.69314718246459960938f;
  private static final float LN2_TAIL = -1.904654323148236017e-09f;
  private static final float LN2_UPPER = 0.693145751953125f;
  private static final float LN2_LOWER = 1.428606765330187045e-06f;
  private static final float INV_LN2 = 1.442695040888963407359924681001892137426645954152985934135449406931f;
  private static final float INV_THREE_QUARTERS = 1.0f / 0.75f;

  // The C library's powf: its published tables and polynomials (1/c and log2 c for 16 subintervals of the
  // mantissa, the log2(1 + r) and 2^r polynomials, 2^(i/32) with i << 47 taken out).
  private static final int LOG2_TABLE_BITS = 4;
  private static final int LOG2_OFFSET = 0x3f330000;
  private static final double[] LOG2_INV_C = {
    0x1.661ec79f8f3bep+0, 0x1.571ed4aaf883dp+0, 0x1.49539f0f010bp+0, 0x1.3c995b0b80385p+0,
    0x1.30d190c8864a5p+0, 0x1.25e227b0b8eap+0, 0x1.1bb4a4a1a343fp+0, 0x1.12358f08ae5bap+0,
    0x1.0953f419900a7p+0, 0x1p+0, 0x1.e608cfd9a47acp-1, 0x1.ca4b31f026aap-1,
    0x1.b2036576afce6p-1, 0x1.9c2d163a1aa2dp-1, 0x1.886e6037841edp-1, 0x1.767dcf5534862p-1,
  };
  private static final double[] LOG2_LOG_C = {
    -0x1.efec65b963019p-2, -0x1.b0b6832d4fca4p-2, -0x1.7418b0a1fb77bp-2, -0x1.39de91a6dcf7bp-2,
    -0x1.01d9bf3f2b631p-2, -0x1.97c1d1b3b7afp-3, -0x1.2f9e393af3c9fp-3, -0x1.960cbbf788d5cp-4,
    -0x1.a6f9db6475fcep-5, 0x0p+0, 0x1.338ca9f24f53dp-4, 0x1.476a9543891bap-3,
    0x1.e840b4ac4e4d2p-3, 0x1.40645f0c6651cp-2, 0x1.88e9c2c1b9ff8p-2, 0x1.ce0a44eb17bccp-2,
  };
  private static final double[] LOG2_POLY = {
    0x1.27616c9496e0bp-2, -0x1.71969a075c67ap-2, 0x1.ec70a6ca7baddp-2, -0x1.7154748bef6c8p-1,
    0x1.71547652ab82bp0,
  };
  private static final long[] EXP2_TABLE = {
    0x3ff0000000000000L, 0x3fefd9b0d3158574L, 0x3fefb5586cf9890fL, 0x3fef9301d0125b51L,
    0x3fef72b83c7d517bL, 0x3fef54873168b9aaL, 0x3fef387a6e756238L, 0x3fef1e9df51fdee1L,
    0x3fef06fe0a31b715L, 0x3feef1a7373aa9cbL, 0x3feedea64c123422L, 0x3feece086061892dL,
    0x3feebfdad5362a27L, 0x3feeb42b569d4f82L, 0x3feeab07dd485429L, 0x3feea47eb03a5585L,
    0x3feea09e667f3bcdL, 0x3fee9f75e8ec5f74L, 0x3feea11473eb0187L, 0x3feea589994cce13L,
    0x3feeace5422aa0dbL, 0x3feeb737b0cdc5e5L, 0x3feec49182a3f090L, 0x3feed503b23e255dL,
    0x3feee89f995ad3adL, 0x3feeff76f2fb5e47L, 0x3fef199bdd85529cL, 0x3fef3720dcef9069L,
    0x3fef5818dcfba487L, 0x3fef7c97337b9b5fL, 0x3fefa4afa2a490daL, 0x3fefd0765b6e4540L,
  };
  private static final double EXP2_SHIFT = 0x1.8p+52 / 32;
  private static final double[] EXP2_POLY = {0x1.c6af84b912394p-5, 0x1.ebfce50fac4f3p-3, 0x1.62e42ff0c52d6p-1};

  private TorchCpuPow() {}

  /**
   * base^exponent[i] for every i, as torch computes a Python float (rounded to float32) raised to a float32
   * tensor of this length on the CPU.
   */
  public static float[] pow(float base, float[] exponents) {
    float[] out = new float[exponents.length];
    int vectorised = exponents.length - exponents.length % VECTOR_LANES;
    for (int i = 0; i < exponents.length; i++) {
      out[i] = i < vectorised ? vectorPowf(base, exponents[i]) : scalarPowf(base, exponents[i]);
    }
    return out;
  }

  /** One lane of the vectorised power. */
  static float vectorPowf(float x, float y) {
    if (y == 0f || x == 1f) {
      return 1f;
    }
    if (!(x > 0f) || Float.isInfinite(x) || !Float.isFinite(y) || x < Float.MIN_NORMAL) {
      return (float) Math.pow(x, y);
    }
    long logOfX = logPair(x);
    long product = mulPair(head(logOfX), tail(logOfX), y);
    float result = expOfPair(head(product), tail(product));
    return Float.isNaN(result) ? Float.POSITIVE_INFINITY : result;
  }

  /** ln x as a float pair, for a positive normal x. */
  private static long logPair(float d) {
    // The exponent of d / 0.75 and the mantissa in [0.75, 1.5), each as the AVX-512 instructions give them.
    float e = Math.getExponent(d * INV_THREE_QUARTERS);
    float m = Float.intBitsToFloat(0x3f800000 | (Float.floatToRawIntBits(d) & 0x007fffff));
    if (m >= 1.5f) {
      m *= 0.5f;
    }
    long numerator = sumPair(-1f, m);
    long denominator = sumPair(1f, m);
    long x = divPair(head(numerator), tail(numerator), head(denominator), tail(denominator));
    float xh = head(x);
    float xl = tail(x);
    long x2 = squarePair(xh, xl);
    float x2h = head(x2);
    float x2l = tail(x2);

    float t = 0.240320354700088500976562f;
    t = Math.fma(t, x2h, 0.285112679004669189453125f);
    t = Math.fma(t, x2h, 0.400007992982864379882812f);

    long s = mulPair(LN2_HEAD, LN2_TAIL, e);
    s = addPair(head(s), tail(s), xh * 2f, xl * 2f);
    long x3 = mulPairs(x2h, x2l, xh, xl);
    long x2t = mulPair(x2h, x2l, t);
    long poly = sumPairs(head(x2t), tail(x2t), 0.66666662693023681640625f, 3.69183861259614332084311e-09f);
    long term = mulPairs(head(x3), tail(x3), head(poly), tail(poly));
    return addPair(head(s), tail(s), head(term), tail(term));
  }

  /** e^(dh + dl) rounded to float32. */
  private static float expOfPair(float dh, float dl) {
    float u = (dh + dl) * INV_LN2;
    int q = (int) Math.rint(u);
    long s = sumPairFloat(dh, dl, (float) q * -LN2_UPPER);
    s = sumPairFloat(head(s), tail(s), (float) q * -LN2_LOWER);
    float sh = head(s) + tail(s);
    float sl = (head(s) - sh) + tail(s);

    u = 0.00136324646882712841033936f;
    u = Math.fma(u, sh, 0.00836596917361021041870117f);
    u = Math.fma(u, sh, 0.0416710823774337768554688f);
    u = Math.fma(u, sh, 0.166665524244308471679688f);
    u = Math.fma(u, sh, 0.499999850988388061523438f);

    long s2 = squarePair(sh, sl);
    long s2u = mulPair(head(s2), tail(s2), u);
    long t = addPair(sh, sl, head(s2u), tail(s2u));
    float th = 1f + head(t);
    float tl = ((1f - th) + head(t)) + tail(t);
    float result = scaleByPowerOfTwo(th + tl, q);
    return dh < -104f ? 0f : result;
  }

  /**
   * x * 2^q as SLEEF scales: by four equal powers of two and then the rest, so that a subnormal result is rounded
   * in two steps rather than once.
   */
  private static float scaleByPowerOfTwo(float x, int q) {
    int m = q >> 31;
    m = (((m + q) >> 6) - m) << 4;
    q -= m << 2;
    m = Math.min(Math.max(m + 0x7f, 0), 0xff);
    float step = Float.intBitsToFloat(m << 23);
    x = x * step * step * step * step;
    return x * Float.intBitsToFloat((q + 0x7f) << 23);
  }

  /**
   * One element of the scalar remainder: the C library's powf (glibc 2.28 and later, on x86-64 its FMA build):
   * log2 of the base in double from a 16-entry table and a degree-5 polynomial, times the exponent, then 2^x in
   * double from a 32-entry table and a cubic, rounded once to float.
   */
  static float scalarPowf(float x, float y) {
    if (y == 0f || x == 1f) {
      return 1f;
    }
    if (!(x >= Float.MIN_NORMAL) || Float.isInfinite(x) || !Float.isFinite(y)) {
      return (float) Math.pow(x, y);
    }
    double ylogx = y * log2(Float.floatToRawIntBits(x));
    if (ylogx > 0x1.fffffffd1d571p+6) {
      return Float.POSITIVE_INFINITY;
    }
    if (ylogx <= -150.0) {
      return 0f;
    }
    return (float) exp2(ylogx);
  }

  private static double log2(int ix) {
    int tmp = ix - LOG2_OFFSET;
    int i = (tmp >>> (23 - LOG2_TABLE_BITS)) % LOG2_INV_C.length;
    int top = tmp & 0xff800000;
    double z = Float.intBitsToFloat(ix - top);
    int k = top >> 23;
    double r = Math.fma(z, LOG2_INV_C[i], -1.0);
    double y0 = LOG2_LOG_C[i] + k;
    double r2 = r * r;
    double y = Math.fma(LOG2_POLY[0], r, LOG2_POLY[1]);
    double p = Math.fma(LOG2_POLY[2], r, LOG2_POLY[3]);
    double r4 = r2 * r2;
    double q = Math.fma(LOG2_POLY[4], r, y0);
    q = Math.fma(p, r2, q);
    return Math.fma(y, r4, q);
  }

  private static double exp2(double xd) {
    double kd = xd + EXP2_SHIFT;
    long ki = Double.doubleToRawLongBits(kd);
    kd -= EXP2_SHIFT;
    double r = xd - kd;
    long t = EXP2_TABLE[(int) (ki & (EXP2_TABLE.length - 1))] + (ki << (52 - 5));
    double s = Double.longBitsToDouble(t);
    double z = Math.fma(EXP2_POLY[0], r, EXP2_POLY[1]);
    double r2 = r * r;
    double y = Math.fma(EXP2_POLY[2], r, 1.0);
    y = Math.fma(z, r2, y);
    return y * s;
  }

  // Float pairs (head + tail, |tail| below half an ulp of head) packed in a long, so that the arithmetic above
  // allocates nothing. Each operation rounds exactly as SLEEF's float-pair operation of the same shape.

  private static long pair(float head, float tail) {
    return ((long) Float.floatToRawIntBits(head) << 32) | (Float.floatToRawIntBits(tail) & 0xffffffffL);
  }

  private static float head(long pair) {
    return Float.intBitsToFloat((int) (pair >>> 32));
  }

  private static float tail(long pair) {
    return Float.intBitsToFloat((int) pair);
  }

  /** x + y exactly, for any magnitudes. */
  private static long sumPair(float x, float y) {
    float h = x + y;
    float v = h - x;
    return pair(h, (x - (h - v)) + (y - v));
  }

  /** (xh + xl) + y, for any magnitudes. */
  private static long sumPairFloat(float xh, float xl, float y) {
    float h = xh + y;
    float v = h - xh;
    float l = (xh - (h - v)) + (y - v);
    return pair(h, l + xl);
  }

  /** (xh + xl) + (yh + yl), for any magnitudes. */
  private static long sumPairs(float xh, float xl, float yh, float yl) {
    float h = xh + yh;
    float v = h - xh;
    float l = (xh - (h - v)) + (yh - v);
    return pair(h, l + (xl + yl));
  }

  /** (xh + xl) + (yh + yl) where |x| >= |y|. */
  private static long addPair(float xh, float xl, float yh, float yl) {
    float h = xh + yh;
    return pair(h, (((xh - h) + yh) + xl) + yl);
  }

  /** (xh + xl) * y. */
  private static long mulPair(float xh, float xl, float y) {
    float h = xh * y;
    return pair(h, Math.fma(xl, y, Math.fma(xh, y, -h)));
  }

  /** (xh + xl) * (yh + yl). */
  private static long mulPairs(float xh, float xl, float yh, float yl) {
    float h = xh * yh;
    return pair(h, Math.fma(xh, yl, Math.fma(xl, yh, Math.fma(xh, yh, -h))));
  }

  /** (xh + xl)^2. */
  private static long squarePair(float xh, float xl) {
    float h = xh * xh;
    return pair(h, Math.fma(xh + xh, xl, Math.fma(xh, xh, -h)));
  }

  /** (nh + nl) / (dh + dl). */
  private static long divPair(float nh, float nl, float dh, float dl) {
    float t = 1.0f / dh;
    float h = nh * t;
    float u = Math.fma(t, nh, -h);
    float correction = Math.fma(-dl, t, Math.fma(-dh, t, 1f));
    return pair(h, Math.fma(h, correction, Math.fma(nl, t, u)));
  }
}
