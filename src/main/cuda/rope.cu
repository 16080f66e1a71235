// CUDA kernels of org.ropeforge.gpu.CudaRopeKernel. The committed PTX next to the Java classes is generated
// from this file by src/main/cuda/build-ptx.sh; regenerate it after every change.
//
// Exact mode must give the bytes of the CPU kernel (org.ropeforge.core.table.RopeTable). The host supplies
// the same exactly evaluated rotations the CPU multiplies (anchors every 32768 rows and the tables of
// e^{ikw}, e^{i32mw}, e^{i1024mw}), and every operation below is the CPU's, in its order, with its fused
// multiply-adds (Math.fma and the Vector API's fma) written as __fma_rn and every other product or sum as a
// separately rounded __dmul_rn / __dadd_rn, so that nothing depends on what the compiler might contract;
// build-ptx.sh passes -fmad=false as well. Rounding to the stored dtype repeats the CPU's bit manipulation.
//
// Torch mode follows transformers' float32 recipe: fp32 position, fp32 angle, cos/sin of that angle, fp32
// product with the attention factor, hedged as the CPU's TorchScaledRows does where torch's own cos/sin may
// round the other way. cos/sin are taken in double and rounded to float, so a value differs from the CPU's
// only where the two double results straddle a float rounding boundary or the edge of the hedged band.

#define ANCHOR_ROWS 32768
#define MID_ROWS 1024
#define STEP_ROWS 32

// Must match CudaRopeKernel's constants.
#define LAYOUT_HALF 0
#define LAYOUT_NEOX 1
#define LAYOUT_GPTJ 2
#define LAYOUT_VLLM 3

#define DTYPE_F32 0
#define DTYPE_F16 1
#define DTYPE_BF16 2
#define DTYPE_F64 3

#define PART_COS 0
#define PART_SIN 1
#define PART_COS_SIN 2

// org.ropeforge.core.table.Rounding.round: nearest, ties to even, straight from the double.
__device__ static unsigned short round16(double x, int mantissaBits, int bias, int infinity, int nan) {
  long long bits = __double_as_longlong(x);
  int sign = (int) ((unsigned long long) bits >> 48) & 0x8000;
  long long abs = bits & 0x7FFFFFFFFFFFFFFFLL;
  if (abs >= 0x7FF0000000000000LL) {
    return (unsigned short) (sign | (abs == 0x7FF0000000000000LL ? infinity : nan));
  }
  int exponent = (int) (abs >> 52) - 1023;
  if (exponent >= 1 - bias) {
    int shift = 52 - mantissaBits;
    long long rounded = (abs + ((1LL << (shift - 1)) - 1) + ((abs >> shift) & 1)) >> shift;
    long long field = rounded - ((long long) (1023 - bias) << mantissaBits);
    return (unsigned short) (sign | (int) (field < infinity ? field : infinity));
  }
  // 2^(bias - 1 + mantissaBits) built from its bits: exact, as Math.scalb is.
  double scale = __longlong_as_double((long long) (1023 + bias - 1 + mantissaBits) << 52);
  double units = rint(__dmul_rn(fabs(x), scale));
  return (unsigned short) (sign | (int) units);
}

__device__ static void storeDouble(void* out, long long at, int dtype, double v) {
  switch (dtype) {
    case DTYPE_F32: ((float*) out)[at] = __double2float_rn(v); break;
    case DTYPE_F16: ((unsigned short*) out)[at] = round16(v, 10, 15, 0x7C00, 0x7E00); break;
    case DTYPE_BF16: ((unsigned short*) out)[at] = round16(v, 7, 127, 0x7F80, 0x7FC0); break;
    default: ((double*) out)[at] = v; break;
  }
}

// Where column j of row i goes in the tensor of `part`: one slot, or two for the doubled layouts.
__device__ static void store(void* out, int layout, int part, int dtype, int half, long long i, int j,
                             double cosValue, double sinValue) {
  long long width = layout == LAYOUT_HALF ? half : 2LL * half;
  long long row = i * width;
  double v = part == PART_SIN ? sinValue : cosValue;
  switch (layout) {
    case LAYOUT_HALF:
      storeDouble(out, row + j, dtype, v);
      break;
    case LAYOUT_NEOX:
      storeDouble(out, row + j, dtype, v);
      storeDouble(out, row + half + j, dtype, v);
      break;
    case LAYOUT_GPTJ:
      storeDouble(out, row + 2 * j, dtype, v);
      storeDouble(out, row + 2 * j + 1, dtype, v);
      break;
    default:
      storeDouble(out, row + j, dtype, cosValue);
      storeDouble(out, row + half + j, dtype, sinValue);
      break;
  }
}

// Rows [fromRow, fromRow + rows) of one table part in exact mode; one thread per (row, column).
// anchorCos/Sin hold e^{i (a + offset) w} for the anchors a = firstAnchor, firstAnchor + 32768, ...;
// the other tables hold e^{i m s w}, s = 1024, 32, 1, at [m * half + j].
extern "C" __global__ void ropeExact(const double* __restrict__ anchorCos, const double* __restrict__ anchorSin,
                                     const double* __restrict__ bigCos, const double* __restrict__ bigSin,
                                     const double* __restrict__ midCos, const double* __restrict__ midSin,
                                     const double* __restrict__ stepCos, const double* __restrict__ stepSin,
                                     double factor, long long firstAnchor, long long fromRow, int rows, int half,
                                     int layout, int dtype, int part, void* out) {
  long long index = (long long) blockIdx.x * blockDim.x + threadIdx.x;
  if (index >= (long long) rows * half) {
    return;
  }
  long long i = index / half;
  int j = (int) (index - i * half);
  long long p = fromRow + i;
  long long anchor = p - p % ANCHOR_ROWS;
  int a = (int) ((anchor - firstAnchor) / ANCHOR_ROWS);
  int r = (int) (p - anchor);
  int big = (r / MID_ROWS) * half + j;
  int mid = (r % MID_ROWS / STEP_ROWS) * half + j;
  int step = (r % STEP_ROWS) * half + j;

  // RopeTable.prepareBlock: the block rotation, times the attention factor.
  double ac = anchorCos[(long long) a * half + j];
  double as = anchorSin[(long long) a * half + j];
  double bc = __fma_rn(ac, bigCos[big], __dmul_rn(-as, bigSin[big]));
  double bs = __fma_rn(as, bigCos[big], __dmul_rn(ac, bigSin[big]));
  double mc = midCos[mid];
  double ms = midSin[mid];
  double blockCos = __dmul_rn(__fma_rn(bc, mc, __dmul_rn(-bs, ms)), factor);
  double blockSin = __dmul_rn(__fma_rn(bs, mc, __dmul_rn(bc, ms)), factor);

  // RopeTable.rotateTo*: a.fma(c, b.mul(d)), with b negated for the real part.
  double sc = stepCos[step];
  double ss = stepSin[step];
  double cosValue = 0;
  double sinValue = 0;
  if (part != PART_SIN) {
    cosValue = __fma_rn(blockCos, sc, __dmul_rn(-blockSin, ss));
  }
  if (part != PART_COS) {
    sinValue = __fma_rn(blockSin, sc, __dmul_rn(blockCos, ss));
  }
  store(out, layout, part, dtype, half, i, j, cosValue, sinValue);
}

// TorchScaledRows.scaled: the float cos/sin times the factor, except where the exact value lies within 0.125
// of a bracket of the midpoint between two floats and the two candidate products are two ulps apart: then the
// float between them, one ulp from torch's product whichever way its cos/sin rounded.
__device__ float scaledTorch(double exact, float factor) {
  float nearest = __double2float_rn(exact);
  float product = __fmul_rn(nearest, factor);
  double nearestD = (double) nearest;
  if (exact == nearestD) {
    return product;
  }
  float other = nextafterf(nearest, exact > nearestD ? __int_as_float(0x7f800000) : __int_as_float(0xff800000));
  double bracket = fabs(__dadd_rn((double) other, -nearestD));
  if (!(fabs(__dadd_rn(exact, -nearestD)) >= __dmul_rn(bracket, 0.375))) {
    return product;
  }
  float otherProduct = __fmul_rn(other, factor);
  int gap = __float_as_int(otherProduct) - __float_as_int(product);
  if ((product >= 0.0f) != (otherProduct >= 0.0f) || (gap != 2 && gap != -2)) {
    return product;
  }
  return __int_as_float(__float_as_int(product) + gap / 2);
}

// Rows [fromRow, fromRow + rows) of one table part in torch mode. omega holds the fp32 frequencies as
// doubles; plain positions are fp32(p), the others fp32(fp32(p + offset) / scale) (ExLlamaV2).
extern "C" __global__ void ropeTorch(const double* __restrict__ omega, float factor, int plainPositions,
                                     double offset, float scale, long long fromRow, int rows, int half,
                                     int layout, int dtype, int part, void* out) {
  long long index = (long long) blockIdx.x * blockDim.x + threadIdx.x;
  if (index >= (long long) rows * half) {
    return;
  }
  long long i = index / half;
  int j = (int) (index - i * half);
  long long p = fromRow + i;
  float position = plainPositions ? __ll2float_rn(p)
                                  : __fdiv_rn(__double2float_rn(__dadd_rn((double) p, offset)), scale);
  // Both factors are fp32 values, so the double product is exact and one rounding gives fp32's product.
  float theta = __double2float_rn(__dmul_rn((double) position, omega[j]));
  double s;
  double c;
  sincos((double) theta, &s, &c);
  float cosValue = scaledTorch(c, factor);
  float sinValue = scaledTorch(s, factor);
  store(out, layout, part, dtype, half, i, j, (double) cosValue, (double) sinValue);
}
