package org.ropeforge.core.table;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.ropeforge.core.Precision;

/**
 * Stores rows of a table, computed once, in any layout and dtype: the rows of several stored forms from one
 * computation. {@link RopeTable} computes each value in the source dtype ({@link #sourceDtype}) and rounds it once
 * to the stored dtype: in exact mode a double, in torch mode a float. Computing the half rows in the source dtype
 * ({@link Layout#HALF} for one part at a time, {@link Layout#VLLM} for both halves of each row) and rounding them
 * here gives, value for value, the bytes {@link RopeTable} writes for the form directly.
 */
public final class RowEncoder {
  private RowEncoder() {}

  /** The dtype every value is computed in before its one rounding: f64 (exact) or f32 (torch). */
  public static Dtype sourceDtype(Precision precision) {
    return precision == Precision.TORCH ? Dtype.F32 : Dtype.F64;
  }

  /**
   * Reads {@code rows} rows of source values, little-endian in {@code source} from its start: {@code half}
   * values a row ({@code both} false: one part) or {@code 2 * half} (both: the cos half, then the sin half).
   * With one part, the values go to {@code cos}; with both, to {@code cos} and {@code sin}.
   */
  public static void decode(Dtype sourceDtype, byte[] source, int rows, int half, boolean both, double[] cos,
      double[] sin) {
    ByteBuffer in = ByteBuffer.wrap(source).order(ByteOrder.LITTLE_ENDIAN);
    int size = sourceDtype.size();
    int width = both ? 2 * half : half;
    for (int r = 0; r < rows; r++) {
      int at = r * width * size;
      for (int j = 0; j < half; j++) {
        cos[r * half + j] = read(in, sourceDtype, at + j * size);
        if (both) {
          sin[r * half + j] = read(in, sourceDtype, at + (half + j) * size);
        }
      }
    }
  }

  private static double read(ByteBuffer in, Dtype dtype, int at) {
    return switch (dtype) {
      case F64 -> in.getDouble(at);
      case F32 -> in.getFloat(at);
      default -> throw new IllegalArgumentException("Source dtype " + dtype.cliName() + " is neither f64 nor f32");
    };
  }

  /**
   * Writes rows [0, rows) of tensor {@code part} of {@code layout} in {@code dtype} to {@code out} from its
   * start, from the decoded source values ({@code cos} for part cos, {@code sin} for part sin, both for
   * cos_sin); returns the bytes written.
   *
   * @throws IllegalArgumentException if the part is not one of the layout's
   */
  public static int encode(Layout layout, Dtype dtype, TablePart part, int half, double[] cos, double[] sin,
      int rows, byte[] out) {
    if (!layout.parts().contains(part)) {
      throw new IllegalArgumentException(
          "Invalid part " + part.tensorName() + " for layout " + layout.cliName() + " (parts: " + layout.parts() + ")");
    }
    ByteBuffer buffer = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    double[] values = part == TablePart.SIN ? sin : cos;
    for (int r = 0; r < rows; r++) {
      int at = r * half;
      switch (layout) {
        case HALF -> run(buffer, dtype, values, at, half);
        case NEOX -> {
          run(buffer, dtype, values, at, half);
          run(buffer, dtype, values, at, half);
        }
        case GPTJ -> {
          for (int j = 0; j < half; j++) {
            put(buffer, dtype, values[at + j]);
            put(buffer, dtype, values[at + j]);
          }
        }
        case VLLM -> {
          run(buffer, dtype, cos, at, half);
          run(buffer, dtype, sin, at, half);
        }
        case PAIRS -> {
          for (int j = 0; j < half; j++) {
            put(buffer, dtype, cos[at + j]);
            put(buffer, dtype, sin[at + j]);
          }
        }
        default -> throw new IllegalStateException("Unhandled layout " + layout);
      }
    }
    return buffer.position();
  }

  private static void run(ByteBuffer out, Dtype dtype, double[] values, int at, int count) {
    for (int j = 0; j < count; j++) {
      put(out, dtype, values[at + j]);
    }
  }

  /** One rounding from the source value, as {@link RopeTable} rounds (a float source is exact in double). */
  private static void put(ByteBuffer out, Dtype dtype, double value) {
    switch (dtype) {
      case F64 -> out.putDouble(value);
      case F32 -> out.putFloat((float) value);
      case F16 -> out.putShort(Rounding.toF16(value));
      case BF16 -> out.putShort(Rounding.toBf16(value));
      default -> throw new IllegalStateException("Unhandled dtype " + dtype);
    }
  }
}
