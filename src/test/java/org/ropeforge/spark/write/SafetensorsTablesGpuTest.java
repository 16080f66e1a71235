package org.ropeforge.spark.write;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.abort;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.Semantics;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.gpu.CudaDevice;
import org.ropeforge.gpu.CudaUnavailableException;

/**
 * The job's GPU rows give its CPU rows' bytes in every layout and dtype, chunk by chunk as GroupWriter asks for
 * them. Needs a CUDA device; elsewhere it is skipped and says why.
 */
class SafetensorsTablesGpuTest {
  @Test
  void gpuRowsAreTheCpuRows() {
    CudaDevice gpu;
    try {
      gpu = CudaDevice.open(0);
    } catch (CudaUnavailableException e) {
      abort("No CUDA device here, the job's GPU rows not checked: " + e.getMessage());
      return;
    }
    double[] inv = new double[48];
    for (int j = 0; j < inv.length; j++) {
      inv[j] = Math.pow(1e6, -j / 48.0);
    }
    LayerRope layer = new LayerRope(null, "default", 96, inv, 1.1, null, null, 1.0, 0.0);
    for (Layout layout : Layout.values()) {
      for (Dtype dtype : Dtype.values()) {
        TableWriting tables =
            SafetensorsTables.FACTORY.create(layout, dtype, Precision.EXACT, Semantics.TRANSFORMERS);
        for (int part = 0; part < tables.parts(); part++) {
          int chunk = 40_000;
          byte[] expected = new byte[chunk * tables.rowBytes(layer)];
          byte[] actual = new byte[expected.length];
          try (TableWriting.Rows cpu = tables.rows(layer, part);
              TableWriting.Rows cuda = tables.rows(layer, part, gpu)) {
            assertEquals("cpu", cpu.device());
            assertEquals("cuda:0", cuda.device());
            for (long from = 0; from < 3 * chunk; from += chunk) {
              cpu.fill(from, from + chunk, expected);
              Arrays.fill(actual, (byte) 0x5A);
              cuda.fill(from, from + chunk, actual);
              assertArrayEquals(expected, actual, layout + " " + dtype + " part " + part + " from row " + from);
            }
          }
        }
      }
    }
  }
}
