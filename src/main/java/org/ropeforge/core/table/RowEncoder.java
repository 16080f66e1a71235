package org.ropeforge.core.table;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
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
    switch (sourceDtype) {
      case F64 -> {
        DoubleBuffer values = in.asDoubleBuffer();
        if (!both) {
          values.get(0, cos, 0, rows * half);
          return;
        }
        for (int r = 0; r < rows; r++) {
          values.get(2 * r * half, cos, r * half, half);
          values.get((2 * r + 1) * half, sin, r * half, half);
        }
      }
      case F32 -> {
        FloatBuffer values = in.asFloatBuffer();
        int width = both ? 2 * half : half;
        for (int r = 0; r < rows; r++) {
          for (int j = 0; j < half; j++) {
            cos[r * half + j] = values.get(r * width + j);
            if (both) {
              sin[r * half + j] = values.get(r * width + half + j);
            }
          }
        }
      }
      default -> throw new IllegalArgumentException("Source dtype " + sourceDtype.cliName() + " is neither f64 nor f32");
    }
  }

  /**
   * Writes rows [0, rows) of tensor {@code part} of {@code layout} in {@code dtype} to {@code out} from its
   * start, from the decoded source values ({@code cos} for part cos, {@code sin} for part sin, both for
   * cos_sin); returns the bytes written. Each value is rounded once, by the vector forms of {@link Rounding} for
   * the 16-bit dtypes (the same bits as the scalar reference), then the rows are arranged.
   *
   * @throws IllegalArgumentException if the part is not one of the layout's
   */
  public static int encode(Layout layout, Dtype dtype, TablePart part, int half, double[] cos, double[] sin,
      int rows, byte[] out) {
    if (!layout.parts().contains(part)) {
      throw new IllegalArgumentException(
          "Invalid part " + part.tensorName() + " for layout " + layout.cliName() + " (parts: " + layout.parts() + ")");
    }
    int count = rows * half;
    boolean both = part == TablePart.COS_SIN;
    Object first = rounded(dtype, part == TablePart.SIN ? sin : cos, count);
    Object second = both ? rounded(dtype, sin, count) : null;
    ByteBuffer buffer = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    Runs runs = switch (dtype) {
      case F64 -> new Runs(buffer.asDoubleBuffer(), null, null);
      case F32 -> new Runs(null, buffer.asFloatBuffer(), null);
      case F16, BF16 -> new Runs(null, null, buffer.asShortBuffer());
    };
    if (layout == Layout.HALF) {
      runs.put(first, 0, count);
      return count * dtype.size();
    }
    for (int r = 0; r < rows; r++) {
      int at = r * half;
      switch (layout) {
        case NEOX -> {
          runs.put(first, at, half);
          runs.put(first, at, half);
        }
        case VLLM -> {
          runs.put(first, at, half);
          runs.put(second, at, half);
        }
        case GPTJ -> {
          for (int j = 0; j < half; j++) {
            runs.put(first, at + j, 1);
            runs.put(first, at + j, 1);
          }
        }
        case PAIRS -> {
          for (int j = 0; j < half; j++) {
            runs.put(first, at + j, 1);
            runs.put(second, at + j, 1);
          }
        }
        default -> throw new IllegalStateException("Unhandled layout " + layout);
      }
    }
    return 2 * count * dtype.size();
  }

  /** The values rounded to {@code dtype}: double[] (as they are), float[] or short[] (the 16-bit bits). */
  private static Object rounded(Dtype dtype, double[] values, int count) {
    switch (dtype) {
      case F64 -> {
        return values;
      }
      case F32 -> {
        float[] floats = new float[count];
        for (int i = 0; i < count; i++) {
          floats[i] = (float) values[i];
        }
        return floats;
      }
      case F16 -> {
        // Value by value: the vector rounding from double now lives inside the rotation loop (RoundedRotation),
        // which this path, fed with finished rows, cannot use. The scalar rounding is the reference both match.
        short[] bits = new short[count];
        for (int i = 0; i < count; i++) {
          bits[i] = Rounding.toF16(values[i]);
        }
        return bits;
      }
      case BF16 -> {
        short[] bits = new short[count];
        for (int i = 0; i < count; i++) {
          bits[i] = Rounding.toBf16(values[i]);
        }
        return bits;
      }
      default -> throw new IllegalStateException("Unhandled dtype " + dtype);
    }
  }

  /** Appends runs of rounded values to the one typed view of the output that the dtype has. */
  private record Runs(DoubleBuffer doubles, FloatBuffer floats, ShortBuffer shorts) {
    void put(Object values, int at, int count) {
      if (count == 1) {
        if (doubles != null) {
          doubles.put(((double[]) values)[at]);
        } else if (floats != null) {
          floats.put(((float[]) values)[at]);
        } else {
          shorts.put(((short[]) values)[at]);
        }
      } else if (doubles != null) {
        doubles.put((double[]) values, at, count);
      } else if (floats != null) {
        floats.put((float[]) values, at, count);
      } else {
        shorts.put((short[]) values, at, count);
      }
    }
  }
}
