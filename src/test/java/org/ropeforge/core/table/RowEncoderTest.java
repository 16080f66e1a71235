package org.ropeforge.core.table;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;

/**
 * The property a run of several layouts and dtypes relies on: rows computed once in the source dtype and
 * stored by {@link RowEncoder} are byte for byte the rows {@link RopeTable} writes for each form directly, for
 * every layout, dtype and precision, from either source shape (one part, or both halves of each row).
 */
class RowEncoderTest {
  private static final int[] HALVES = {1, 3, 8, 20, 64};

  @Test
  void everyFormFromOneComputationIsTheFormComputedDirectly() {
    SplittableRandom random = new SplittableRandom(4242);
    for (int trial = 0; trial < 24; trial++) {
      LayerRope layer = randomLayer(random, trial);
      Precision precision = Precision.values()[trial % 2];
      Dtype source = RowEncoder.sourceDtype(precision);
      long start = trial % 3 == 0 ? RopeTable.ANCHOR_ROWS - random.nextInt(100) : 0;
      if (trial % 8 == 1) {
        // torch mode's switch to one-angle evaluation (fp32 angles of 2^22 and more)
        start = (long) Math.floor(0x1p22 / (float) layer.invFreq(0)) - random.nextInt(50);
      }
      int rows = 1 + random.nextInt(2_000);
      int half = layer.rotaryDim() / 2;
      double[] cos = new double[rows * half];
      double[] sin = new double[rows * half];
      double[] cosOnly = new double[rows * half];
      double[] sinOnly = new double[rows * half];
      RowEncoder.decode(source, bytes(RopeTable.of(layer, new TableOptions(Layout.VLLM, source, precision))
          .rows(TablePart.COS_SIN, start, start + rows)), rows, half, true, cos, sin);
      RopeTable halves = RopeTable.of(layer, new TableOptions(Layout.HALF, source, precision));
      RowEncoder.decode(source, bytes(halves.rows(TablePart.COS, start, start + rows)), rows, half, false,
          cosOnly, null);
      RowEncoder.decode(source, bytes(halves.rows(TablePart.SIN, start, start + rows)), rows, half, false,
          sinOnly, null);
      assertArrayEquals(cos, cosOnly, "trial " + trial + ": cos of both halves and of one part");
      assertArrayEquals(sin, sinOnly, "trial " + trial + ": sin of both halves and of one part");
      for (Layout layout : Layout.values()) {
        for (Dtype dtype : Dtype.values()) {
          TableOptions options = new TableOptions(layout, dtype, precision);
          RopeTable direct = RopeTable.of(layer, options);
          for (TablePart part : layout.parts()) {
            String label = "trial " + trial + ": " + layer + " " + options + " part " + part + " rows [" + start
                + ", " + (start + rows) + ")";
            byte[] expected = bytes(direct.rows(part, start, start + rows));
            byte[] encoded = new byte[expected.length];
            assertEquals(expected.length, RowEncoder.encode(layout, dtype, part, half, cos, sin, rows, encoded),
                label);
            assertArrayEquals(expected, encoded, label);
          }
        }
      }
    }
  }

  @Test
  void refusesAPartTheLayoutHasNot() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RowEncoder.encode(Layout.VLLM, Dtype.F32, TablePart.SIN, 1, new double[1], new double[1], 1,
            new byte[8]));
    assertEquals("Invalid part sin for layout vllm (parts: [COS_SIN])", e.getMessage());
  }

  @Test
  void refusesASourceDtypeNoTableIsComputedIn() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RowEncoder.decode(Dtype.BF16, new byte[2], 1, 1, false, new double[1], null));
    assertEquals("Source dtype bf16 is neither f64 nor f32", e.getMessage());
  }

  private static LayerRope randomLayer(SplittableRandom random, int trial) {
    int half = HALVES[random.nextInt(HALVES.length)];
    double[] omega = new double[half];
    for (int j = 0; j < half; j++) {
      omega[j] = Math.pow(10000.0, -random.nextDouble());
    }
    if (trial % 8 == 1) {
      omega[0] = 64 + random.nextDouble() * 64;
    }
    boolean exllama = trial % 6 == 5;
    double factor = trial % 4 < 2 ? 1.0 : 0.5 + random.nextDouble();
    return new LayerRope(null, "default", 2 * half, omega, factor, null, null, exllama ? 8.0 : 1.0,
        exllama ? 1.0 : 0.0);
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }
}
