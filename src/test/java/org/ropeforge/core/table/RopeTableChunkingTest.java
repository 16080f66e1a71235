package org.ropeforge.core.table;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;

/**
 * The property the Spark job relies on: rows [a, b) generated on their own are byte for byte rows a..b-1 of the
 * whole table, for any split, layer, layout, dtype and precision. Seeded, so a failure names a reproducible
 * trial.
 */
class RopeTableChunkingTest {
  private static final int[] HALVES = {1, 3, 5, 8, 20, 40, 64};

  @Test
  void anySplitOfATableConcatenatesToTheWholeTable() {
    SplittableRandom random = new SplittableRandom(31337);
    for (int trial = 0; trial < 120; trial++) {
      LayerRope layer = randomLayer(random, trial);
      TableOptions options = new TableOptions(
          Layout.values()[trial % Layout.values().length],
          Dtype.values()[(trial / 4) % Dtype.values().length],
          Precision.values()[(trial / 16) % 2]);
      // Start some ranges just below an anchor, and some just below the row where torch mode switches from
      // the vector path to one-angle evaluation (fp32 angles of 2^22 and more).
      long start = trial % 3 == 0 ? RopeTable.ANCHOR_ROWS * (1 + random.nextInt(3)) - random.nextInt(100) : 0;
      if (trial % 7 == 0) {
        start = (long) Math.floor(0x1p22 / (float) layer.invFreq(0)) - random.nextInt(50);
      }
      int rows = 1 + random.nextInt(trial % 5 == 0 ? 70_000 : 3_000);
      String label = "trial " + trial + ": " + layer + " " + options + " rows [" + start + ", " + (start + rows) + ")";
      for (TablePart part : options.layout().parts()) {
        RopeTable whole = RopeTable.of(layer, options);
        byte[] expected = bytes(whole.rows(part, start, start + rows));
        RopeTable pieces = RopeTable.of(layer, options);
        ByteBuffer assembled = ByteBuffer.allocate(expected.length).order(ByteOrder.LITTLE_ENDIAN);
        TreeSet<Long> cuts = new TreeSet<>();
        int cutCount = random.nextInt(12);
        for (int c = 0; c < cutCount; c++) {
          cuts.add(start + random.nextLong(rows + 1));
        }
        cuts.add(start + rows);
        long from = start;
        // Generate the pieces out of order, as tasks would, into their byte ranges.
        for (long to : cuts.descendingSet()) {
          long lower = cuts.lower(to) == null ? start : Math.max(start, cuts.lower(to));
          assembled.position((int) ((lower - start) * pieces.rowBytes()));
          pieces.fill(part, lower, to, assembled);
          assertEquals((int) ((to - start) * pieces.rowBytes()), assembled.position(), label);
        }
        assertArrayEquals(expected, assembled.array(), label + " part " + part);
      }
    }
  }

  private static LayerRope randomLayer(SplittableRandom random, int trial) {
    int half = HALVES[random.nextInt(HALVES.length)];
    double[] omega = new double[half];
    for (int j = 0; j < half; j++) {
      omega[j] = Math.pow(10000.0, -random.nextDouble());
    }
    if (trial % 7 == 0) {
      // Frequencies above 1 bring the torch path's switch to one-angle evaluation (fp32 angle 2^22) in range.
      omega[0] = 64 + random.nextDouble() * 64;
    }
    boolean exllama = trial % 6 == 5;
    double scale = exllama ? 8.0 : 1.0;
    double offset = exllama ? 1.0 : 0.0;
    double factor = trial % 2 == 0 ? 1.0 : 0.5 + random.nextDouble();
    return new LayerRope(null, "default", 2 * half, omega, factor, null, null, scale, offset);
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] out = new byte[buffer.remaining()];
    buffer.get(out);
    return out;
  }
}
