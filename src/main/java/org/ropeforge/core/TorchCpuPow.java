package org.ropeforge.core;

/**
 * torch's float32 {@code base ** tensor} on an x86-64 CPU, bit for bit, as transformers forms the frequency ladder.
 *
 * <p>Where the values come from (checked against torch 2.13's CPU build by calling its own kernels): ATen's
 * vectorised loop hands the tensor to SLEEF's {@code powf} (the 1.0-ulp variant) {@value #VECTOR_LANES} lanes at a
 * time on an AVX-512 machine, and the remainder, fewer than {@value #VECTOR_LANES} elements, to the C library's
 * scalar {@code powf}. SLEEF's result is within 1 ulp but not correctly rounded, so about 1% of ladder entries
 * differ by one ulp from the correctly rounded power; the scalar remainder is correctly rounded for these
 * arguments. An AVX2 machine takes 16 lanes at a time instead, so entries 16 to 31 of a remainder differ there.
 *
 * <p>The vector path below follows SLEEF's algorithm step by step: the logarithm of the base as a float pair
 * (head and tail, each a float32) from the mantissa in [0.75, 1.5) and an odd polynomial in (m - 1)/(m + 1), its
 * product with the exponent, and the exponential of that pair by a ln 2 reduction and a polynomial, every float
 * operation rounded as the AVX-512 kernel rounds it (fused multiply-adds where it fuses). Only finite positive
 * bases and finite exponents reach it; everything else takes the correctly rounded path.
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

  private TorchCpuPow() {}

  /**
   * base^exponent[i] for every i, as torch computes a Python float (rounded to float32) raised to a float32
   * tensor of this length on the CPU.
   */
  public static float[] pow(float base, float[] exponents) {
    float[] out = new float[exponents.length];
    int vectorised = exponents.length - exponents.length % VECTOR_LANES;
    for (int i = 0; i < exponents.length; i++) {
      out[i] = i < vectorised ? vectorPowf(base, exponents[i]) : (float) Math.pow(base, exponents[i]);
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
