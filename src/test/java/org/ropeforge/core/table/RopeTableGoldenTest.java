package org.ropeforge.core.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.ropeforge.core.Precision;
import org.ropeforge.core.table.GoldenRecords.Golden;

/**
 * Tables against the golden references, with the parameters (inv_freq, attention factor) taken from the record
 * itself, so that this tests the table code alone; the resolver has its own golden tests.
 *
 * <p>Tolerances, per value at position p and frequency w (angle = p * w):
 * <ul>
 *   <li>exact vs mpmath-exact: |diff| &lt;= ulp_f32(value) + 2^-46 * max(1, angle), and at least 99.99 % of values
 *       equal to the reference rounded to float. The angle term covers the reference's inv_freq having been
 *       rounded to double.
 *   <li>torch vs transformers on CPU: |diff| &lt;= 2 * 2^-23 * max(1, angle). Both evaluate cos/sin of the same
 *       float angle, transformers with a ~1-ulp vectorised libm.
 * </ul>
 */
class RopeTableGoldenTest {
  private static final String CASES = "/golden/cases.jsonl";

  @Test
  void exactTablesMatchMpmathWithinOneFloatUlp() {
    Stats stats = compare(GoldenRecords.load(CASES, GoldenRecords.EXACT), Precision.EXACT);
    stats.print("exact vs " + GoldenRecords.EXACT);
    assertTrue(stats.worst <= 1.0, stats.failure());
    assertTrue(stats.correctlyRounded >= 0.9999 * stats.values,
        "only " + stats.correctlyRounded + " of " + stats.values + " values are correctly rounded");
  }

  @Test
  void torchTablesMatchTransformersOnCpu() {
    Stats stats = compare(GoldenRecords.load(CASES, GoldenRecords.TORCH_CPU), Precision.TORCH);
    stats.print("torch vs " + GoldenRecords.TORCH_CPU);
    assertTrue(stats.worst <= 1.0, stats.failure());
  }

  /** ExLlamaV2's positions (offset 1, divided by 8 for Gemma 3) exercise the one-angle-at-a-time torch path. */
  @Test
  void torchTablesMatchExllamav2PositionHandling() {
    Stats stats = compare(GoldenRecords.load("/golden/exllamav2.jsonl", GoldenRecords.EXLLAMAV2), Precision.TORCH);
    stats.print("torch vs " + GoldenRecords.EXLLAMAV2);
    assertTrue(stats.worst <= 1.0, stats.failure());
  }

  private static Stats compare(List<Golden> records, Precision precision) {
    Stats stats = new Stats();
    for (Golden g : records) {
      RopeTable table = RopeTable.of(g.layer(), TableOptions.DEFAULT.withPrecision(precision));
      long[] positions = g.positions();
      double[] w = g.invFreq();
      double[][] refCos = g.cos();
      double[][] refSin = g.sin();
      assertEquals(positions.length, refCos.length, g.caseName());
      for (int i = 0; i < positions.length; i++) {
        long p = positions[i];
        ByteBuffer cos = table.rows(TablePart.COS, p, p + 1);
        ByteBuffer sin = table.rows(TablePart.SIN, p, p + 1);
        for (int j = 0; j < w.length; j++) {
          double position = (p + g.layer().positionOffset()) / g.layer().positionScale();
          double angle = Math.abs(position * w[j]);
          stats.add(g.caseName(), p, j, "cos", cos.getFloat(4 * j), refCos[i][j], angle, precision);
          stats.add(g.caseName(), p, j, "sin", sin.getFloat(4 * j), refSin[i][j], angle, precision);
        }
      }
    }
    return stats;
  }

  private static final class Stats {
    long values;
    long correctlyRounded;
    double worst;
    String worstAt = "";

    void add(String caseName, long p, int j, String which, float ours, double ref, double angle, Precision precision) {
      double tolerance = precision == Precision.EXACT
          ? Math.ulp((float) ref) + 0x1p-46 * Math.max(1, angle)
          : 2 * 0x1p-23 * Math.max(1, angle);
      double units = Math.abs(ours - ref) / tolerance;
      values++;
      if (ours == (float) ref) {
        correctlyRounded++;
      }
      if (!(units <= worst)) {
        worst = units;
        worstAt = String.format(Locale.ROOT, "%s p=%d j=%d %s: ours %s, reference %s, angle %s", caseName, p, j,
            which, ours, ref, angle);
      }
    }

    void print(String label) {
      System.out.printf(Locale.ROOT, "%s: %d values, worst %.4f tolerance units (%s), %.6f%% equal to the"
          + " reference rounded to float%n", label, values, worst, worstAt, 100.0 * correctlyRounded / values);
    }

    String failure() {
      return "worst error " + worst + " tolerance units at " + worstAt;
    }
  }
}
