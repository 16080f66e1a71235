package org.ropeforge.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.abort;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.ropeforge.bench.GpuParityMain;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.core.table.RopeTable;
import org.ropeforge.core.table.TableOptions;
import org.ropeforge.core.table.TablePart;

/**
 * The CUDA kernel against the CPU kernel where a GPU exists, and the refusal where none does. Which of the two
 * applies is decided by whether a device opens; each test that cannot run here says why.
 */
class CudaTableTest {
  /** Whether this machine has an NVIDIA driver at all, judged without JCuda. */
  private static boolean driverInstalled() {
    return Files.exists(Path.of("/proc/driver/nvidia/version"))
        || Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libcuda.so.1"))
        || Files.exists(Path.of("/usr/lib64/libcuda.so.1"));
  }

  private static CudaDevice deviceOrSkip() {
    try {
      return CudaDevice.open(0);
    } catch (CudaUnavailableException e) {
      return abort("No CUDA device here, GPU parity not checked: " + e.getMessage());
    }
  }

  private static List<LayerRope> layers() {
    List<LayerRope> layers = new ArrayList<>();
    double[] inv = new double[64];
    double[] scaled = new double[64];
    for (int j = 0; j < 64; j++) {
      inv[j] = (float) Math.pow(500000.0, -j / 64.0);
      scaled[j] = (float) (inv[j] / (j < 20 ? 1 : 8));
    }
    layers.add(new LayerRope(null, "default", 128, inv, 1.0, null, null, 1.0, 0.0));
    layers.add(new LayerRope(null, "yarn", 128, scaled, 1.2079441541679836, null, null, 1.0, 0.0));
    layers.add(new LayerRope(null, "default", 128, inv, 1.0, null, null, 4.0, 1.0));
    return layers;
  }

  @Test
  void withoutDriverOpeningFailsWithTheReasonEveryTime() {
    if (driverInstalled()) {
      abort("An NVIDIA driver is installed here: the no-driver refusal cannot be observed");
    }
    CudaUnavailableException first = assertThrows(CudaUnavailableException.class, () -> CudaDevice.open(0));
    assertEquals("Cannot load the CUDA driver binding: libcuda.so.1: cannot open shared object file",
        first.getMessage());
    CudaUnavailableException again = assertThrows(CudaUnavailableException.class, () -> CudaDevice.open(0));
    assertEquals(first.getMessage(), again.getMessage());
    assertSame(first.getCause(), again.getCause());
    // Another device of the same JVM: the binding is not retried, and the reason is the same.
    CudaUnavailableException other = assertThrows(CudaUnavailableException.class, () -> CudaDevice.open(1));
    assertEquals(first.getMessage(), other.getMessage());
  }

  @Test
  void negativeOrdinalIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CudaDevice.open(-1));
    assertEquals("Invalid CUDA device ordinal -1 (must be >= 0)", e.getMessage());
  }

  @Test
  void exactModeGivesTheCpuBytesInEveryLayoutAndDtype() {
    CudaDevice device = deviceOrSkip();
    // Crosses anchors (every 32768 rows) and starts and ends off any block boundary.
    long from = 32_000;
    long to = 99_001;
    for (LayerRope layer : layers()) {
      for (Layout layout : Layout.values()) {
        for (Dtype dtype : Dtype.values()) {
          TableOptions options = new TableOptions(layout, dtype, Precision.EXACT);
          RopeTable cpu = RopeTable.of(layer, options);
          try (CudaTable gpu = CudaTable.of(device, RopeTable.of(layer, options))) {
            for (TablePart part : layout.parts()) {
              byte[] expected = new byte[(int) ((to - from) * cpu.rowBytes())];
              cpu.fill(part, from, to, ByteBuffer.wrap(expected).order(ByteOrder.LITTLE_ENDIAN));
              byte[] actual = new byte[expected.length];
              Arrays.fill(actual, (byte) 0xA5);
              gpu.fill(part, from, to, actual);
              assertArrayEquals(expected, actual, layer + " " + options + " " + part);
            }
          }
        }
      }
    }
  }

  /** The pinned buffer holds the bytes the CPU writes, read-only and little-endian, for the rows asked only. */
  @Test
  void pinnedRowsAreTheCpuBytesInEveryLayoutAndDtype() {
    CudaDevice device = deviceOrSkip();
    long from = 32_000;
    long to = 99_001;
    for (LayerRope layer : layers()) {
      for (Layout layout : Layout.values()) {
        for (Dtype dtype : Dtype.values()) {
          TableOptions options = new TableOptions(layout, dtype, Precision.EXACT);
          RopeTable cpu = RopeTable.of(layer, options);
          try (CudaTable gpu = CudaTable.of(device, RopeTable.of(layer, options))) {
            for (TablePart part : layout.parts()) {
              ByteBuffer expected = cpu.rows(part, from, to);
              // A longer range first, so that the shorter one must not show the rest of the reused memory.
              gpu.fillPinned(part, from - 1000, to + 1000);
              ByteBuffer pinned = gpu.fillPinned(part, from, to);
              assertTrue(pinned.isReadOnly(), "read-only");
              assertSame(ByteOrder.LITTLE_ENDIAN, pinned.order());
              assertEquals(expected, pinned, layer + " " + options + " " + part);
            }
          }
        }
      }
    }
  }

  @Test
  void emptyRangeGivesAnEmptyPinnedBufferAndWritesNoArrayByte() {
    CudaDevice device = deviceOrSkip();
    try (CudaTable gpu = CudaTable.of(device, RopeTable.of(layers().get(0), TableOptions.DEFAULT))) {
      assertEquals(0, gpu.fillPinned(TablePart.COS, 5, 5).remaining());
      byte[] untouched = new byte[16];
      Arrays.fill(untouched, (byte) 0xA5);
      gpu.fill(TablePart.COS, 5, 5, untouched);
      byte[] poison = new byte[16];
      Arrays.fill(poison, (byte) 0xA5);
      assertArrayEquals(poison, untouched);
    }
  }

  @Test
  void arrayTooSmallForTheRowsIsRefused() {
    CudaDevice device = deviceOrSkip();
    try (CudaTable gpu = CudaTable.of(device, RopeTable.of(layers().get(0), TableOptions.DEFAULT))) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> gpu.fill(TablePart.COS, 0, 10, new byte[100]));
      assertEquals("Buffer too small for rows [0, 10): needs 2560 bytes, has 100", e.getMessage());
    }
  }

  @Test
  void closedTableIsRefused() {
    CudaDevice device = deviceOrSkip();
    CudaTable gpu = CudaTable.of(device, RopeTable.of(layers().get(0), TableOptions.DEFAULT));
    gpu.close();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> gpu.fillPinned(TablePart.COS, 0, 1));
    assertEquals("CudaTable is closed", e.getMessage());
  }

  /**
   * Torch mode rounds double cos/sin to float on both sides, so they can differ where the two double results
   * straddle a float rounding boundary: one ulp, which an attention factor above 1 can make two.
   */
  @Test
  void torchModeDiffersFromTheCpuInAtMostTwoUlpOfRareValues() {
    CudaDevice device = deviceOrSkip();
    long rows = 70_000;
    for (LayerRope layer : layers()) {
      TableOptions options = new TableOptions(Layout.HALF, Dtype.F32, Precision.TORCH);
      RopeTable cpu = RopeTable.of(layer, options);
      try (CudaTable gpu = CudaTable.of(device, RopeTable.of(layer, options))) {
        for (TablePart part : Layout.HALF.parts()) {
          byte[] expected = new byte[(int) (rows * cpu.rowBytes())];
          cpu.fill(part, 0, rows, ByteBuffer.wrap(expected).order(ByteOrder.LITTLE_ENDIAN));
          byte[] actual = new byte[expected.length];
          gpu.fill(part, 0, rows, actual);
          long differing = 0;
          for (int at = 0; at < expected.length; at += 4) {
            long ulps = GpuParityMain.ulps(expected, actual, at, Dtype.F32);
            assertTrue(ulps <= 2, layer + " " + part + " value " + at / 4 + " is " + ulps + " ulp off");
            differing += ulps == 0 ? 0 : 1;
          }
          assertTrue(differing <= 1e-6 * expected.length / 4, differing + " values differ");
        }
      }
    }
  }

  @Test
  void partOutsideTheLayoutIsRefused() {
    CudaDevice device = deviceOrSkip();
    RopeTable table = RopeTable.of(layers().get(0), TableOptions.DEFAULT);
    try (CudaTable gpu = CudaTable.of(device, table)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> gpu.fill(TablePart.COS_SIN, 0, 1, new byte[1024]));
      assertEquals("Invalid part cos_sin for layout half (parts: [COS, SIN])", e.getMessage());
    }
  }
}
