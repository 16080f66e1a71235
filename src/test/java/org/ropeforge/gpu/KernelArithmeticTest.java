package org.ropeforge.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.core.table.RopeTable;
import org.ropeforge.core.table.Rounding;
import org.ropeforge.core.table.TableOptions;
import org.ropeforge.core.table.TablePart;

/**
 * The CUDA exact kernel's arithmetic, written out in Java operation for operation as rope.cu performs it on the
 * tables {@link RopeTable#exactRotations} and {@link RopeTable#anchorRotations} hand out, gives the CPU kernel's
 * bytes. This runs without a GPU: it pins the contract the kernel relies on (which products are fused, in which
 * order, what the factor multiplies), so a change to the CPU kernel that breaks it fails here and not only on
 * a GPU machine.
 */
class KernelArithmeticTest {
  private static final long ANCHOR = RopeTable.ANCHOR_ROWS;

  /** Row p, column j of rope.cu's ropeExact, before rounding to the dtype. */
  private static double[] kernelValue(RopeTable table, RopeTable.ExactRotations r, long p, int j) {
    int half = r.columns();
    long anchor = p - p % ANCHOR;
    double[] anchorCos = new double[half];
    double[] anchorSin = new double[half];
    table.anchorRotations(anchor, anchorCos, anchorSin, 0);
    int rest = (int) (p - anchor);
    int big = rest / 1024 * half + j;
    int mid = rest % 1024 / 32 * half + j;
    int step = rest % 32 * half + j;
    double ac = anchorCos[j];
    double as = anchorSin[j];
    double bc = Math.fma(ac, r.bigCos()[big], -as * r.bigSin()[big]);
    double bs = Math.fma(as, r.bigCos()[big], ac * r.bigSin()[big]);
    double mc = r.midCos()[mid];
    double ms = r.midSin()[mid];
    double blockCos = Math.fma(bc, mc, -bs * ms) * r.factor();
    double blockSin = Math.fma(bs, mc, bc * ms) * r.factor();
    double sc = r.stepCos()[step];
    double ss = r.stepSin()[step];
    return new double[] {Math.fma(blockCos, sc, -blockSin * ss), Math.fma(blockSin, sc, blockCos * ss)};
  }

  private static LayerRope layer(double scale, double offset, double factor) {
    double[] inv = new double[40];
    for (int j = 0; j < inv.length; j++) {
      inv[j] = Math.pow(500000.0, -2.0 * j / 80) / (j % 7 == 3 ? 8.0 : 1.0);
    }
    return new LayerRope(null, "default", 80, inv, factor, null, null, scale, offset);
  }

  @Test
  void kernelArithmeticGivesTheCpuDoublesAndRoundings() {
    for (LayerRope layer : new LayerRope[] {layer(1.0, 0.0, 1.0), layer(1.0, 0.0, 1.2079441541679836),
        layer(4.0, 1.0, 0.9)}) {
      long[] rows = {0, 1, 31, 32, 1023, 1024, 32767, 32768, 32769, 65535, 1_000_003, 1_048_575, 2_147_483_647};
      for (Dtype dtype : Dtype.values()) {
        RopeTable table = RopeTable.of(layer, new TableOptions(Layout.HALF, dtype, Precision.EXACT));
        RopeTable.ExactRotations rotations = table.exactRotations();
        assertEquals(40, rotations.columns());
        for (long p : rows) {
          ByteBuffer cos = table.rows(TablePart.COS, p, p + 1);
          ByteBuffer sin = table.rows(TablePart.SIN, p, p + 1);
          for (int j = 0; j < 40; j++) {
            double[] value = kernelValue(table, rotations, p, j);
            String where = layer + " " + dtype + " row " + p + " column " + j;
            assertArrayEquals(bytes(cos, j, dtype), encode(value[0], dtype), "cos " + where);
            assertArrayEquals(bytes(sin, j, dtype), encode(value[1], dtype), "sin " + where);
          }
        }
      }
    }
  }

  private static byte[] bytes(ByteBuffer row, int j, Dtype dtype) {
    byte[] b = new byte[dtype.size()];
    row.get(j * dtype.size(), b);
    return b;
  }

  private static byte[] encode(double v, Dtype dtype) {
    ByteBuffer b = ByteBuffer.allocate(dtype.size()).order(ByteOrder.LITTLE_ENDIAN);
    switch (dtype) {
      case F32 -> b.putFloat((float) v);
      case F64 -> b.putDouble(v);
      case F16 -> b.putShort(Rounding.toF16(v));
      case BF16 -> b.putShort(Rounding.toBf16(v));
    }
    return b.array();
  }
}
