package org.ropeforge.core.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;

/**
 * Every layout and dtype is the same half table rearranged and rounded once: checked value by value against
 * the f64 half table (exact mode) or the f32 half table (torch mode, whose values are float32 by definition).
 */
class LayoutAndDtypeTest {
  private static final int ROWS = 300;
  private static final LayerRope LAYER = new LayerRope(null, "yarn", 10,
      new double[] {1.0, 0.3981071705534972, 0.15848931924611134, 0.0630957344480193, 0.025118864315095794},
      1.1386294361119891, null, null, 1.0, 0.0);

  @Test
  void everyLayoutAndDtypeRearrangesAndRoundsTheSameHalfTable() {
    int half = LAYER.rotaryDim() / 2;
    for (Precision precision : Precision.values()) {
      Dtype referenceDtype = precision == Precision.EXACT ? Dtype.F64 : Dtype.F32;
      RopeTable reference = RopeTable.of(LAYER, new TableOptions(Layout.HALF, referenceDtype, precision));
      double[][] cos = decode(reference.rows(TablePart.COS, 0, ROWS), referenceDtype, half);
      double[][] sin = decode(reference.rows(TablePart.SIN, 0, ROWS), referenceDtype, half);
      for (Layout layout : Layout.values()) {
        for (Dtype dtype : Dtype.values()) {
          RopeTable table = RopeTable.of(LAYER, new TableOptions(layout, dtype, precision));
          assertEquals(layout.rowWidth(LAYER.rotaryDim()) * dtype.size(), table.rowBytes());
          for (TablePart part : layout.parts()) {
            double[][] got = decode(table.rows(part, 0, ROWS), dtype, layout.rowWidth(LAYER.rotaryDim()));
            for (int p = 0; p < ROWS; p++) {
              for (int i = 0; i < got[p].length; i++) {
                double expected = expectedValue(layout, part, cos[p], sin[p], i, half);
                assertEquals(round(expected, dtype), got[p][i], 0.0,
                    precision + " " + layout + " " + dtype + " " + part + " row " + p + " col " + i);
              }
            }
          }
        }
      }
    }
  }

  @Test
  void partsOutsideTheLayoutAreRefused() {
    RopeTable table = RopeTable.of(LAYER, TableOptions.DEFAULT);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> table.rows(TablePart.COS_SIN, 0, 1));
    assertEquals("Invalid part cos_sin for layout half (parts: [COS, SIN])", e.getMessage());
    IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
        () -> table.fill(TablePart.COS, 5, 4, ByteBuffer.allocate(100)));
    assertEquals("Invalid row range [5, 4) (must satisfy 0 <= from <= to <= 2^31)", range.getMessage());
    IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
        () -> table.fill(TablePart.COS, 0, 10, ByteBuffer.allocate(100)));
    assertEquals("Buffer too small for rows [0, 10): needs 200 bytes, has 100", small.getMessage());
  }

  @Test
  void namesParseCaseInsensitivelyAndUnknownNamesListTheChoices() {
    assertEquals(Layout.GPTJ, Layout.parse("GPTJ"));
    assertEquals(Dtype.BF16, Dtype.parse("bf16"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Layout.parse("llama"));
    assertEquals("Unknown layout 'llama' (supported: half, neox, gptj, vllm, pairs)", e.getMessage());
    IllegalArgumentException d = assertThrows(IllegalArgumentException.class, () -> Dtype.parse("fp8"));
    assertEquals("Unknown dtype 'fp8' (supported: f32, f16, bf16, f64)", d.getMessage());
  }

  private static double expectedValue(Layout layout, TablePart part, double[] cos, double[] sin, int i, int half) {
    double[] source = part == TablePart.SIN ? sin : cos;
    return switch (layout) {
      case HALF -> source[i];
      case NEOX -> source[i % half];
      case GPTJ -> source[i / 2];
      case VLLM -> i < half ? cos[i] : sin[i - half];
      case PAIRS -> i % 2 == 0 ? cos[i / 2] : sin[i / 2];
    };
  }

  private static double round(double x, Dtype dtype) {
    return switch (dtype) {
      case F64 -> x;
      case F32 -> (float) x;
      case F16 -> Rounding.fromF16(Rounding.toF16(x));
      case BF16 -> Rounding.fromBf16(Rounding.toBf16(x));
    };
  }

  private static double[][] decode(ByteBuffer bytes, Dtype dtype, int width) {
    int rows = bytes.remaining() / (width * dtype.size());
    double[][] out = new double[rows][width];
    for (int p = 0; p < rows; p++) {
      for (int i = 0; i < width; i++) {
        out[p][i] = switch (dtype) {
          case F64 -> bytes.getDouble();
          case F32 -> bytes.getFloat();
          case F16 -> Rounding.fromF16(bytes.getShort());
          case BF16 -> Rounding.fromBf16(bytes.getShort());
        };
      }
    }
    return out;
  }
}
