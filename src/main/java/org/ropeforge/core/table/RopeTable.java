package org.ropeforge.core.table;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.Objects;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;

/**
 * Generates the rows of one layer type's cos/sin table, any row range at a time, into a caller's buffer.
 *
 * <h2>Values</h2>
 *
 * <p>Row p holds f(angle_j) * attentionFactor for j &lt; rotaryDim/2, arranged by the {@link Layout}, with
 * angle_j = ((p + positionOffset) / positionScale) * invFreq[j] (see {@link LayerRope}).
 *
 * <ul>
 *   <li>{@link Precision#EXACT}: the exact angle, cos/sin and the factor in double, rounded once to the dtype.
 *       The result is within a few double ulps of the true value, so almost every value is correctly rounded.
 *   <li>{@link Precision#TORCH}: transformers' float32 recipe: angle = fp32(fp32(position) * fp32(invFreq)),
 *       cos/sin of that float angle (correctly rounded to float but for rare ties), then
 *       fp32(cos * fp32(attentionFactor)), hedged where torch's own cos/sin may have rounded the other way
 *       ({@link TorchScaledRows}). ExLlamaV2 positions are formed as fp32(fp32(p + offset) / scale).
 * </ul>
 *
 * <h2>Method</h2>
 *
 * <p>Evaluating cos and sin per angle costs ~20 ns; the table is instead built from exact rotations. With
 * p = a + b + c + k, where a is a multiple of {@link #ANCHOR_ROWS}, b of {@code 32 * 32}, c of 32 and k &lt; 32,
 * e^{i p w} is the product of e^{i a w} (evaluated per anchor by {@link AngleMath}) and three tables of
 * exactly evaluated rotations (e^{i b w}, e^{i c w}, e^{i k w}), built once per instance. Every value is three
 * complex products away from exactly evaluated numbers, so the error does not grow with the position (at most
 * ~8 double ulps of 1, against the 2^-46 the tolerance allows). Every decomposition depends on the absolute
 * position only, so a row's bytes do not depend on the range it was generated in: tasks may split a table at
 * any row.
 *
 * <p>In torch mode the float angle differs from the exact product t = p * w (exact in double for fp32 w and
 * p &lt; 2^24) by delta = fp32(t) - t, |delta| &lt;= 2^-3 while t &lt; 2^22; cos/sin(t + delta) come from the
 * rotation of t and short Taylor series of delta. Rows beyond that, and ExLlamaV2 positions, are evaluated one
 * angle at a time (one to two orders of magnitude slower; same recipe).
 *
 * <p>An instance keeps scratch buffers: use one per thread. Construction evaluates 96 * rotaryDim/2 rotations
 * (about a millisecond for rotary dim 128); reuse an instance for the chunks of one table.
 */
public final class RopeTable {
  /** Rows between exactly evaluated anchors. */
  public static final long ANCHOR_ROWS = 32 * 32 * 32;

  /** Positions must stay below this (2^31). */
  public static final long MAX_ROWS = 1L << 31;

  private static final int STEP = 32;
  private static final int MID = 32 * 32;

  private static final VectorSpecies<Double> DOUBLES = DoubleVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Float> FLOATS =
      VectorSpecies.of(float.class, VectorShape.forBitSize(DOUBLES.vectorBitSize() / 2));
  private static final int LANES = DOUBLES.length();

  /** Torch rows take the vector path while every fp32 angle is below 2^22 (|delta| &lt;= 2^-3). */
  private static final double TORCH_FAST_ANGLE_LIMIT = 0x1p22;
  private static final long TORCH_EXACT_POSITION_LIMIT = 1L << 24;

  /** Below this fp32 angle |delta| &lt;= 2^-8 and the three-term series are exact to 5e-18. */
  private static final double SHORT_SERIES_ANGLE_LIMIT = 0x1p17;

  // Taylor coefficients of sin(d)/d and cos(d) in z = d^2; truncation error below 1e-18 for |d| <= 2^-3.
  private static final double S1 = -1.0 / 6;
  private static final double S2 = 1.0 / 120;
  private static final double S3 = -1.0 / 5040;
  private static final double S4 = 1.0 / 362880;
  private static final double S5 = -1.0 / 39916800;
  private static final double C1 = -1.0 / 2;
  private static final double C2 = 1.0 / 24;
  private static final double C3 = -1.0 / 720;
  private static final double C4 = 1.0 / 40320;
  private static final double C5 = -1.0 / 3628800;
  private static final double C6 = 1.0 / 479001600;

  private final LayerRope layer;
  private final TableOptions options;
  private final Layout layout;
  private final Dtype dtype;
  private final boolean torch;
  private final int half;
  private final int padded;
  private final int rowWidth;
  private final int rowBytes;

  /** The frequencies the angles use: as given (exact) or rounded to fp32 (torch); zero-padded. */
  private final double[] omega;
  /** max |omega| over the columns of each vector of LANES columns. */
  private final double[] laneMaxOmega;
  /** omega / positionScale as double-doubles. */
  private final double[] omegaHi;
  private final double[] omegaLo;
  private final double offset;
  private final float scaleF;
  private final float attentionFactorF;
  /** Rows below this take the vector path (always all rows in exact mode). */
  private final long vectorRows;

  /** e^{i k w}, e^{i 32 m w}, e^{i 1024 m w} for k, m &lt; 32, row-major [m][padded]. */
  private final double[] stepCos;
  private final double[] stepSin;
  private final double[] midCos;
  private final double[] midSin;
  private final double[] bigCos;
  private final double[] bigSin;

  private final double[] anchorCos;
  private final double[] anchorSin;
  private long anchorRow = -1;
  /** e^{i (p0 + offset) w} for the current 32-row block p0, times the attention factor in exact mode. */
  private final double[] blockCos;
  private final double[] blockSin;
  private long blockRow = -1;

  private final boolean floatScratch;
  private final float[] cosF;
  private final float[] sinF;
  private final double[] cosD;
  private final double[] sinD;
  /**
   * Torch precision with an attention factor other than 1: the exact cos/sin of each block, from which
   * {@link TorchScaledRows} forms the scaled values; null otherwise.
   */
  private final double[] cosExact;
  private final double[] sinExact;
  /** The stored bits of the 16-bit dtypes: rounded from cosF/sinF a block at a time (torch) or as computed. */
  private final boolean shortValues;
  private final boolean binary16;
  private final short[] cosH;
  private final short[] sinH;
  private final double[] pair = new double[2];
  private final double[] angle = new double[2];

  private FloatBuffer floatOut;
  private DoubleBuffer doubleOut;
  private ShortBuffer shortOut;

  private RopeTable(LayerRope layer, TableOptions options) {
    this.layer = layer;
    this.options = options;
    this.layout = options.layout();
    this.dtype = options.dtype();
    this.torch = options.precision() == Precision.TORCH;
    this.half = layer.rotaryDim() / 2;
    this.padded = Math.max(LANES, (half + LANES - 1) / LANES * LANES);
    this.rowWidth = layout.rowWidth(layer.rotaryDim());
    this.rowBytes = rowWidth * dtype.size();

    double scale = layer.positionScale();
    if (!(scale > 0) || Double.isInfinite(scale)) {
      throw new IllegalArgumentException("Invalid positionScale " + scale + " (must be positive and finite)");
    }
    if (!Double.isFinite(layer.positionOffset()) || !Double.isFinite(layer.attentionFactor())) {
      throw new IllegalArgumentException("Invalid " + layer + ": positionOffset and attentionFactor must be finite");
    }
    this.offset = layer.positionOffset();
    this.scaleF = (float) scale;
    this.attentionFactorF = (float) layer.attentionFactor();
    this.omega = new double[padded];
    this.omegaHi = new double[padded];
    this.omegaLo = new double[padded];
    double maxOmega = 0;
    for (int j = 0; j < half; j++) {
      double w = layer.invFreq(j);
      if (!Double.isFinite(w) || !(Math.abs(w) / scale < 256)) {
        throw new IllegalArgumentException("Invalid invFreq[" + j + "] " + w + " for " + layer
            + " (must be finite, with |invFreq / positionScale| < 256)");
      }
      omega[j] = torch ? (double) (float) w : w;
      AngleMath.divide(omega[j], scale, pair);
      omegaHi[j] = pair[0];
      omegaLo[j] = pair[1];
      maxOmega = Math.max(maxOmega, Math.abs(omega[j]));
    }
    laneMaxOmega = new double[padded / LANES];
    for (int j = 0; j < padded; j++) {
      laneMaxOmega[j / LANES] = Math.max(laneMaxOmega[j / LANES], Math.abs(omega[j]));
    }
    if (!torch) {
      vectorRows = MAX_ROWS;
    } else if (!layer.plainPositions()) {
      vectorRows = 0;
    } else {
      vectorRows = Math.min(TORCH_EXACT_POSITION_LIMIT,
          maxOmega == 0 ? Long.MAX_VALUE : (long) Math.floor(TORCH_FAST_ANGLE_LIMIT / maxOmega));
    }

    stepCos = new double[STEP * padded];
    stepSin = new double[STEP * padded];
    midCos = new double[STEP * padded];
    midSin = new double[STEP * padded];
    bigCos = new double[STEP * padded];
    bigSin = new double[STEP * padded];
    if (vectorRows > 0) {
      for (int m = 0; m < STEP; m++) {
        rotations(m, 0.0, stepCos, stepSin, m * padded);
        rotations((long) m * STEP, 0.0, midCos, midSin, m * padded);
        rotations((long) m * MID, 0.0, bigCos, bigSin, m * padded);
      }
    }
    anchorCos = new double[padded];
    anchorSin = new double[padded];
    blockCos = new double[padded];
    blockSin = new double[padded];

    floatScratch = torch || dtype == Dtype.F32;
    shortValues = dtype == Dtype.F16 || dtype == Dtype.BF16;
    binary16 = dtype == Dtype.F16;
    cosF = floatScratch ? new float[STEP * padded] : null;
    sinF = floatScratch ? new float[STEP * padded] : null;
    boolean doubleScratch = !floatScratch && !shortValues;
    cosD = doubleScratch ? new double[STEP * padded] : null;
    sinD = doubleScratch ? new double[STEP * padded] : null;
    boolean scaledTorchRows = torch && attentionFactorF != 1f;
    cosExact = scaledTorchRows ? new double[STEP * padded] : null;
    sinExact = scaledTorchRows ? new double[STEP * padded] : null;
    cosH = shortValues ? new short[STEP * padded] : null;
    sinH = shortValues ? new short[STEP * padded] : null;
  }

  /** A generator for {@code layer}'s table stored as {@code options} says. */
  public static RopeTable of(LayerRope layer, TableOptions options) {
    return new RopeTable(Objects.requireNonNull(layer, "layer"), Objects.requireNonNull(options, "options"));
  }

  public LayerRope layer() {
    return layer;
  }

  public TableOptions options() {
    return options;
  }

  /** Values per row of each tensor. */
  public int rowWidth() {
    return rowWidth;
  }

  /** Bytes per row of each tensor. */
  public int rowBytes() {
    return rowBytes;
  }

  /**
   * Writes rows {@code [fromRow, toRow)} of tensor {@code part}, little-endian, at {@code out}'s position and
   * advances it by {@code (toRow - fromRow) * rowBytes()}. The bytes of a row do not depend on the range.
   *
   * @throws IllegalArgumentException if the part is not one of the layout's, the range is invalid, or
   *     {@code out} has too little room
   */
  public void fill(TablePart part, long fromRow, long toRow, ByteBuffer out) {
    if (!layout.parts().contains(part)) {
      throw new IllegalArgumentException(
          "Invalid part " + part.tensorName() + " for layout " + layout.cliName() + " (parts: " + layout.parts() + ")");
    }
    if (fromRow < 0 || toRow < fromRow || toRow > MAX_ROWS) {
      throw new IllegalArgumentException(
          "Invalid row range [" + fromRow + ", " + toRow + ") (must satisfy 0 <= from <= to <= 2^31)");
    }
    long bytes = (toRow - fromRow) * rowBytes;
    if (bytes > out.remaining()) {
      throw new IllegalArgumentException("Buffer too small for rows [" + fromRow + ", " + toRow + "): needs "
          + bytes + " bytes, has " + out.remaining());
    }
    int start = out.position();
    ByteBuffer target = out.slice().order(ByteOrder.LITTLE_ENDIAN);
    switch (dtype) {
      case F32 -> floatOut = target.asFloatBuffer();
      case F64 -> doubleOut = target.asDoubleBuffer();
      case F16, BF16 -> shortOut = target.asShortBuffer();
      default -> throw new IllegalStateException("Unhandled dtype " + dtype);
    }
    boolean wantCos = part != TablePart.SIN;
    boolean wantSin = part != TablePart.COS;
    long row = fromRow;
    while (row < toRow) {
      long block = row - row % STEP;
      long end = Math.min(toRow, block + STEP);
      int rows = (int) (end - row);
      if (row < vectorRows) {
        end = Math.min(end, vectorRows);
        rows = (int) (end - row);
        prepareBlock(block);
        if (torch) {
          computeTorch(row, rows, wantCos, wantSin);
        } else if (shortValues) {
          computeExactShort(row, rows, wantCos, wantSin);
        } else if (floatScratch) {
          computeExactFloat(row, rows, wantCos, wantSin);
        } else {
          computeExactDouble(row, rows, wantCos, wantSin);
        }
      } else {
        computeTorchScalar(row, rows, wantCos, wantSin);
      }
      if (shortValues && torch) {
        roundToShorts(rows, wantCos, wantSin);
      }
      emit(rows, part);
      row = end;
    }
    floatOut = null;
    doubleOut = null;
    shortOut = null;
    out.position(start + (int) bytes);
  }

  /** Rows {@code [fromRow, toRow)} of {@code part} in a new little-endian buffer; for small ranges and tests. */
  public ByteBuffer rows(TablePart part, long fromRow, long toRow) {
    long bytes = (toRow - fromRow) * rowBytes;
    if (toRow < fromRow || bytes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("Invalid row range [" + fromRow + ", " + toRow + ") for one buffer");
    }
    ByteBuffer buffer = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
    fill(part, fromRow, toRow, buffer);
    return buffer.flip();
  }

  /**
   * The exactly evaluated rotations that exact-mode rows are products of, for an implementation elsewhere (the
   * CUDA kernel) that must reproduce these bytes by repeating {@code prepareBlock} and {@code rotateTo*}
   * operation for operation; with {@link #anchorRotations} it has every input those take.
   *
   * @param columns rotaryDim / 2
   * @param factor the attention factor, multiplied into each 32-row block's rotation
   * @param bigCos e^{i 1024 m w_j} at [m * columns + j] for m &lt; 32; bigSin likewise, midCos/midSin for
   *     e^{i 32 m w_j} and stepCos/stepSin for e^{i m w_j}, with w_j = invFreq[j] / positionScale
   */
  public record ExactRotations(int columns, double factor, double[] bigCos, double[] bigSin, double[] midCos,
      double[] midSin, double[] stepCos, double[] stepSin) {}

  /**
   * The rotation tables of exact mode, copied.
   *
   * @throws IllegalStateException for a torch-precision table, whose rows are not such products
   */
  public ExactRotations exactRotations() {
    if (torch) {
      throw new IllegalStateException("Exact rotations requested for a torch-precision table of " + layer);
    }
    return new ExactRotations(half, layer.attentionFactor(), unpad(bigCos), unpad(bigSin), unpad(midCos),
        unpad(midSin), unpad(stepCos), unpad(stepSin));
  }

  /**
   * The anchor of rows [anchorRow, anchorRow + ANCHOR_ROWS): e^{i (anchorRow + positionOffset) w_j}, evaluated
   * exactly as the CPU rows use it, into cos[at + j] and sin[at + j] for j &lt; rotaryDim / 2.
   */
  public void anchorRotations(long anchorRow, double[] cos, double[] sin, int at) {
    if (anchorRow < 0 || anchorRow >= MAX_ROWS || anchorRow % ANCHOR_ROWS != 0) {
      throw new IllegalArgumentException("Invalid anchor row " + anchorRow
          + " (must be a multiple of " + ANCHOR_ROWS + " in [0, 2^31))");
    }
    rotations(anchorRow, offset, cos, sin, at);
  }

  private double[] unpad(double[] table) {
    double[] compact = new double[STEP * half];
    for (int m = 0; m < STEP; m++) {
      System.arraycopy(table, m * padded, compact, m * half, half);
    }
    return compact;
  }

  /** e^{i (position + offset) w_j} for every j, evaluated exactly, into cos[at + j], sin[at + j]. */
  private void rotations(long position, double positionOffset, double[] cos, double[] sin, int at) {
    for (int j = 0; j < half; j++) {
      AngleMath.angle(position, positionOffset, omegaHi[j], omegaLo[j], angle);
      AngleMath.cosSin(angle[0], angle[1], pair);
      cos[at + j] = pair[0];
      sin[at + j] = pair[1];
    }
  }

  private void prepareBlock(long block) {
    if (block == blockRow) {
      return;
    }
    long anchor = block - block % ANCHOR_ROWS;
    if (anchor != anchorRow) {
      rotations(anchor, offset, anchorCos, anchorSin, 0);
      anchorRow = anchor;
    }
    int big = (int) ((block - anchor) / MID) * padded;
    int mid = (int) ((block - anchor) % MID / STEP) * padded;
    double factor = torch ? 1.0 : layer.attentionFactor();
    for (int j = 0; j < half; j++) {
      double ac = anchorCos[j];
      double as = anchorSin[j];
      double bc = Math.fma(ac, bigCos[big + j], -as * bigSin[big + j]);
      double bs = Math.fma(as, bigCos[big + j], ac * bigSin[big + j]);
      double mc = midCos[mid + j];
      double ms = midSin[mid + j];
      blockCos[j] = Math.fma(bc, mc, -bs * ms) * factor;
      blockSin[j] = Math.fma(bs, mc, bc * ms) * factor;
    }
    blockRow = block;
  }

  private void computeExactFloat(long row, int rows, boolean wantCos, boolean wantSin) {
    int k0 = (int) (row - blockRow);
    if (wantCos) {
      rotateToFloat(blockCos, blockSin, stepCos, stepSin, k0, rows, padded, false, cosF);
    }
    if (wantSin) {
      rotateToFloat(blockSin, blockCos, stepCos, stepSin, k0, rows, padded, true, sinF);
    }
  }

  private void computeExactShort(long row, int rows, boolean wantCos, boolean wantSin) {
    int k0 = (int) (row - blockRow);
    if (binary16) {
      if (wantCos) {
        RoundedRotation.toF16(blockCos, blockSin, stepCos, stepSin, k0, rows, padded, false, cosH);
      }
      if (wantSin) {
        RoundedRotation.toF16(blockSin, blockCos, stepCos, stepSin, k0, rows, padded, true, sinH);
      }
    } else {
      if (wantCos) {
        RoundedRotation.toBf16(blockCos, blockSin, stepCos, stepSin, k0, rows, padded, false, cosH);
      }
      if (wantSin) {
        RoundedRotation.toBf16(blockSin, blockCos, stepCos, stepSin, k0, rows, padded, true, sinH);
      }
    }
  }

  private void computeExactDouble(long row, int rows, boolean wantCos, boolean wantSin) {
    int k0 = (int) (row - blockRow);
    if (wantCos) {
      rotateToDouble(blockCos, blockSin, stepCos, stepSin, k0, rows, padded, false, cosD);
    }
    if (wantSin) {
      rotateToDouble(blockSin, blockCos, stepCos, stepSin, k0, rows, padded, true, sinD);
    }
  }

  /**
   * One component of (a + ib) * (c + id) for rows k0.. of the step table: the real part a*c - b*d, or with
   * {@code imaginary} and a, b swapped by the caller, the imaginary part a*c + b*d. Static with array
   * arguments and the column loop outside, which lets C2 keep the anchor in registers (about twice as fast).
   */
  private static void rotateToFloat(double[] a, double[] b, double[] c, double[] d, int k0, int rows, int padded,
      boolean imaginary, float[] out) {
    for (int j = 0; j < padded; j += LANES) {
      DoubleVector av = DoubleVector.fromArray(DOUBLES, a, j);
      DoubleVector bv = DoubleVector.fromArray(DOUBLES, b, j);
      if (!imaginary) {
        bv = bv.neg();
      }
      for (int i = 0; i < rows; i++) {
        int step = (k0 + i) * padded + j;
        DoubleVector v = av.fma(DoubleVector.fromArray(DOUBLES, c, step), bv.mul(DoubleVector.fromArray(DOUBLES, d, step)));
        ((FloatVector) v.convertShape(VectorOperators.D2F, FLOATS, 0)).intoArray(out, i * padded + j);
      }
    }
  }

  private static void rotateToDouble(double[] a, double[] b, double[] c, double[] d, int k0, int rows, int padded,
      boolean imaginary, double[] out) {
    for (int j = 0; j < padded; j += LANES) {
      DoubleVector av = DoubleVector.fromArray(DOUBLES, a, j);
      DoubleVector bv = DoubleVector.fromArray(DOUBLES, b, j);
      if (!imaginary) {
        bv = bv.neg();
      }
      for (int i = 0; i < rows; i++) {
        int step = (k0 + i) * padded + j;
        av.fma(DoubleVector.fromArray(DOUBLES, c, step), bv.mul(DoubleVector.fromArray(DOUBLES, d, step)))
            .intoArray(out, i * padded + j);
      }
    }
  }

  private void computeTorch(long row, int rows, boolean wantCos, boolean wantSin) {
    int k0 = (int) (row - blockRow);
    // The series length depends on the block and the columns only, never on the requested range.
    double blockEnd = blockRow + STEP - 1;
    for (int j = 0; j < padded; j += LANES) {
      boolean shortSeries = blockEnd * laneMaxOmega[j / LANES] < SHORT_SERIES_ANGLE_LIMIT;
      rotateTorch(omega, blockCos, blockSin, stepCos, stepSin, j, row, k0, rows, padded, attentionFactorF,
          shortSeries, wantCos ? cosF : null, wantSin ? sinF : null, wantCos ? cosExact : null,
          wantSin ? sinExact : null);
    }
    if (cosExact != null) {
      scaleTorchRows(rows, wantCos, wantSin);
    }
  }

  /** Replaces the scaled values of a torch block by {@link TorchScaledRows}'s, from the exact cos/sin kept. */
  private void scaleTorchRows(int rows, boolean wantCos, boolean wantSin) {
    if (wantCos) {
      TorchScaledRows.scaleAll(cosExact, cosF, rows * padded, attentionFactorF);
    }
    if (wantSin) {
      TorchScaledRows.scaleAll(sinExact, sinF, rows * padded, attentionFactorF);
    }
  }

  /**
   * cos/sin(fp32(p * w)) of the columns j..j+LANES-1 for rows k0.. of the current block: t = p * w is exact in
   * double (fp32 w, p &lt; 2^24) and so is delta = fp32(t) - t, as both lie in t's binade or the next; then
   * cos(t + delta) = cos t cos delta - sin t sin delta, with cos t and sin t from the rotation tables and
   * Taylor series of delta: three terms while every t is below 2^17 (|delta| &lt;= 2^-8), six up to 2^22.
   */
  private static void rotateTorch(double[] omega, double[] blockCos, double[] blockSin, double[] stepCos,
      double[] stepSin, int j, long row, int k0, int rows, int padded, float factor, boolean shortSeries,
      float[] cosOut, float[] sinOut, double[] cosExactOut, double[] sinExactOut) {
    DoubleVector w = DoubleVector.fromArray(DOUBLES, omega, j);
    DoubleVector bc = DoubleVector.fromArray(DOUBLES, blockCos, j);
    DoubleVector bs = DoubleVector.fromArray(DOUBLES, blockSin, j);
    DoubleVector nbs = bs.neg();
    DoubleVector one = DoubleVector.broadcast(DOUBLES, 1.0);
    DoubleVector s1 = DoubleVector.broadcast(DOUBLES, S1);
    DoubleVector s2 = DoubleVector.broadcast(DOUBLES, S2);
    DoubleVector s3 = DoubleVector.broadcast(DOUBLES, S3);
    DoubleVector s4 = DoubleVector.broadcast(DOUBLES, S4);
    DoubleVector s5 = DoubleVector.broadcast(DOUBLES, S5);
    DoubleVector c1 = DoubleVector.broadcast(DOUBLES, C1);
    DoubleVector c2 = DoubleVector.broadcast(DOUBLES, C2);
    DoubleVector c3 = DoubleVector.broadcast(DOUBLES, C3);
    DoubleVector c4 = DoubleVector.broadcast(DOUBLES, C4);
    DoubleVector c5 = DoubleVector.broadcast(DOUBLES, C5);
    DoubleVector c6 = DoubleVector.broadcast(DOUBLES, C6);
    // Broadcasting the position inside the loop defeats C2 (5x slower); counting in a vector is exact.
    DoubleVector position = DoubleVector.broadcast(DOUBLES, (double) row);
    for (int i = 0; i < rows; i++) {
      int step = (k0 + i) * padded + j;
      int at = i * padded + j;
      DoubleVector t = w.mul(position);
      position = position.add(one);
      DoubleVector d = ((DoubleVector) t.convertShape(VectorOperators.D2F, FLOATS, 0)
          .convertShape(VectorOperators.F2D, DOUBLES, 0)).sub(t);
      DoubleVector z = d.mul(d);
      DoubleVector sinDelta;
      DoubleVector cosDelta;
      if (shortSeries) {
        sinDelta = z.fma(s2, s1).mul(z).fma(d, d);
        cosDelta = z.fma(c2, c1).fma(z, one);
      } else {
        sinDelta = z.fma(s5, s4).fma(z, s3).fma(z, s2).fma(z, s1).mul(z).fma(d, d);
        cosDelta = z.fma(c6, c5).fma(z, c4).fma(z, c3).fma(z, c2).fma(z, c1).fma(z, one);
      }
      DoubleVector sc = DoubleVector.fromArray(DOUBLES, stepCos, step);
      DoubleVector ss = DoubleVector.fromArray(DOUBLES, stepSin, step);
      DoubleVector ct = bc.fma(sc, nbs.mul(ss));
      DoubleVector st = bs.fma(sc, bc.mul(ss));
      if (cosOut != null) {
        DoubleVector c = ct.fma(cosDelta, st.mul(sinDelta).neg());
        if (cosExactOut != null) {
          c.intoArray(cosExactOut, at);
        } else {
          ((FloatVector) c.convertShape(VectorOperators.D2F, FLOATS, 0)).mul(factor).intoArray(cosOut, at);
        }
      }
      if (sinOut != null) {
        DoubleVector s = st.fma(cosDelta, ct.mul(sinDelta));
        if (sinExactOut != null) {
          s.intoArray(sinExactOut, at);
        } else {
          ((FloatVector) s.convertShape(VectorOperators.D2F, FLOATS, 0)).mul(factor).intoArray(sinOut, at);
        }
      }
    }
  }

  /** Torch recipe one angle at a time, for ExLlamaV2 positions and fp32 angles of 2^22 and more. */
  private void computeTorchScalar(long row, int rows, boolean wantCos, boolean wantSin) {
    for (int i = 0; i < rows; i++) {
      long p = row + i;
      float position = layer.plainPositions() ? (float) p : (float) (p + offset) / scaleF;
      int at = i * padded;
      for (int j = 0; j < half; j++) {
        // Both factors are floats, so the double product is exact and the cast rounds once, as fp32 does.
        float theta = (float) ((double) position * omega[j]);
        AngleMath.cosSin(theta, 0.0, pair);
        if (wantCos) {
          cosF[at + j] = TorchScaledRows.scaled(pair[0], attentionFactorF);
        }
        if (wantSin) {
          sinF[at + j] = TorchScaledRows.scaled(pair[1], attentionFactorF);
        }
      }
    }
  }

  /**
   * Rounds a torch block's float values to the 16-bit dtype: every column of the rows, padding included, a
   * separate loop so that the vector rounding is compiled with its loop whatever C2 inlines around it.
   * Exact-mode blocks are rounded as they are computed ({@link RoundedRotation}).
   */
  private void roundToShorts(int rows, boolean wantCos, boolean wantSin) {
    int count = rows * padded;
    if (wantCos) {
      roundToShorts(cosF, cosH, count);
    }
    if (wantSin) {
      roundToShorts(sinF, sinH, count);
    }
  }

  private void roundToShorts(float[] floats, short[] out, int count) {
    if (binary16) {
      Rounding.toF16(floats, 0, out, 0, count);
    } else {
      Rounding.toBf16(floats, 0, out, 0, count);
    }
  }

  private void emit(int rows, TablePart part) {
    boolean sinHalf = part == TablePart.SIN;
    if (layout == Layout.HALF && dtype == Dtype.F32 && padded == half) {
      floatOut.put(sinHalf ? sinF : cosF, 0, rows * half);
      return;
    }
    if (layout == Layout.HALF && shortValues && padded == half) {
      shortOut.put(sinHalf ? sinH : cosH, 0, rows * half);
      return;
    }
    for (int i = 0; i < rows; i++) {
      int at = i * padded;
      switch (layout) {
        case HALF -> run(sinHalf, at);
        case NEOX -> {
          run(sinHalf, at);
          run(sinHalf, at);
        }
        case GPTJ -> interleaved(sinHalf, at);
        case VLLM -> {
          run(false, at);
          run(true, at);
        }
        case PAIRS -> pairs(at);
        default -> throw new IllegalStateException("Unhandled layout " + layout);
      }
    }
  }

  /** Appends one half row as it is. */
  private void run(boolean sinHalf, int at) {
    if (shortValues) {
      shortOut.put(sinHalf ? sinH : cosH, at, half);
    } else if (floatScratch) {
      float[] src = sinHalf ? sinF : cosF;
      switch (dtype) {
        case F32 -> floatOut.put(src, at, half);
        case F64 -> {
          for (int j = 0; j < half; j++) {
            doubleOut.put(src[at + j]);
          }
        }
        default -> throw new IllegalStateException("Unhandled dtype " + dtype);
      }
    } else {
      doubleOut.put(sinHalf ? sinD : cosD, at, half);
    }
  }

  /** Appends one row as (cos_j, sin_j) pairs. */
  private void pairs(int at) {
    if (shortValues) {
      for (int j = 0; j < half; j++) {
        shortOut.put(cosH[at + j]);
        shortOut.put(sinH[at + j]);
      }
      return;
    }
    for (int j = 0; j < half; j++) {
      double c = floatScratch ? cosF[at + j] : cosD[at + j];
      double s = floatScratch ? sinF[at + j] : sinD[at + j];
      switch (dtype) {
        case F32 -> {
          floatOut.put((float) c);
          floatOut.put((float) s);
        }
        case F64 -> {
          doubleOut.put(c);
          doubleOut.put(s);
        }
        case F16 -> {
          shortOut.put(Rounding.toF16(c));
          shortOut.put(Rounding.toF16(s));
        }
        case BF16 -> {
          shortOut.put(Rounding.toBf16(c));
          shortOut.put(Rounding.toBf16(s));
        }
        default -> throw new IllegalStateException("Unhandled dtype " + dtype);
      }
    }
  }

  /** Appends one half row with every value twice in a row (GPT-J pairs). */
  private void interleaved(boolean sinHalf, int at) {
    if (shortValues) {
      short[] src = sinHalf ? sinH : cosH;
      for (int j = 0; j < half; j++) {
        shortOut.put(src[at + j]);
        shortOut.put(src[at + j]);
      }
      return;
    }
    for (int j = 0; j < half; j++) {
      double v = floatScratch ? (sinHalf ? sinF : cosF)[at + j] : (sinHalf ? sinD : cosD)[at + j];
      switch (dtype) {
        case F32 -> {
          floatOut.put((float) v);
          floatOut.put((float) v);
        }
        case F64 -> {
          doubleOut.put(v);
          doubleOut.put(v);
        }
        default -> throw new IllegalStateException("Unhandled dtype " + dtype);
      }
    }
  }
}
