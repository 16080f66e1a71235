package org.ropeforge.spark.write;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.abort;

import java.nio.ByteBuffer;
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
  private static CudaDevice gpu() {
    try {
      return CudaDevice.open(0);
    } catch (CudaUnavailableException e) {
      abort("No CUDA device here, the job's GPU rows not checked: " + e.getMessage());
      return null;
    }
  }

  @Test
  void gpuRowsAreTheCpuRows() {
    CudaDevice gpu = gpu();
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
              // The job's path: the pinned rows themselves, not the array, which must stay untouched.
              Arrays.fill(actual, (byte) 0x5A);
              ByteBuffer view = cuda.view(from, from + chunk, tables.rowBytes(layer), actual);
              assertEquals(expected.length, view.remaining());
              assertEquals(0x5A, actual[0], "the GPU view does not go through the array");
              view.get(actual);
              assertArrayEquals(expected, actual, "view of " + layout + " " + dtype + " part " + part
                  + " from row " + from);
            }
          }
        }
      }
    }
  }

  @Test
  void aViewAskedForRowsOfAnotherWidthIsRefused() {
    CudaDevice gpu = gpu();
    LayerRope layer = new LayerRope(null, "default", 8, new double[] {1, 0.5, 0.25, 0.125}, 1.0, null, null, 1.0,
        0.0);
    TableWriting tables =
        SafetensorsTables.FACTORY.create(Layout.HALF, Dtype.F32, Precision.EXACT, Semantics.TRANSFORMERS);
    try (TableWriting.Rows cuda = tables.rows(layer, 0, gpu)) {
      assertTrue(cuda.view(0, 4, 16, new byte[0]).isDirect(), "pinned host memory");
      assertFalse(cuda.view(0, 4, 16, new byte[0]).hasArray());
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> cuda.view(0, 4, 32, new byte[128]));
      assertEquals("Rows of 16 bytes asked for as rows of 32 bytes", e.getMessage());
    }
  }
}
