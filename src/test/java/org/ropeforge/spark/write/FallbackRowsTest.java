package org.ropeforge.spark.write;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A GPU that fails hands the rest of its table to the CPU at the failed chunk, and the manifest says so. */
class FallbackRowsTest {
  /** Rows whose byte i of row r is (r + i) & 0xFF: the same from either source, like the two kernels. */
  private static final class Source implements TableWriting.Rows {
    final String device;
    final int failAtFill;
    final AtomicInteger fills = new AtomicInteger();
    boolean closed;

    Source(String device, int failAtFill) {
      this.device = device;
      this.failAtFill = failAtFill;
    }

    @Override
    public void fill(long from, long to, byte[] buffer) {
      if (fills.incrementAndGet() == failAtFill) {
        throw new IllegalStateException("CUDA_ERROR_ILLEGAL_ADDRESS");
      }
      for (long r = from; r < to; r++) {
        for (int i = 0; i < 4; i++) {
          buffer[(int) ((r - from) * 4 + i)] = (byte) (r + i);
        }
      }
    }

    @Override
    public String device() {
      return device;
    }

    /** Like the GPU's rows: the chunk in memory of the source's own, read-only, not in the caller's array. */
    @Override
    public ByteBuffer view(long from, long to, int rowBytes, byte[] unused) {
      if (device.equals("cpu")) {
        return TableWriting.Rows.super.view(from, to, rowBytes, unused);
      }
      byte[] own = new byte[(int) (to - from) * rowBytes];
      fill(from, to, own);
      return ByteBuffer.allocateDirect(own.length).put(own).flip().asReadOnlyBuffer();
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  private static byte[] rows(long from, long to) {
    byte[] b = new byte[(int) (to - from) * 4];
    new Source("cpu", 0).fill(from, to, b);
    return b;
  }

  @Test
  void aWorkingGpuComputesEverything() {
    Source gpu = new Source("cuda:1", 0);
    Source cpu = new Source("cpu", 0);
    try (FallbackRows rows = new FallbackRows(() -> gpu, () -> cpu)) {
      byte[] buffer = new byte[40];
      rows.fill(0, 10, buffer);
      rows.fill(10, 20, buffer);
      assertArrayEquals(rows(10, 20), buffer);
      assertEquals("cuda:1", rows.device());
    }
    assertEquals(2, gpu.fills.get());
    assertEquals(0, cpu.fills.get());
    assertTrue(gpu.closed);
  }

  @Test
  void aGpuFailingPartWayIsReplacedAtTheFailedChunk() {
    Source gpu = new Source("cuda:0", 2);
    Source cpu = new Source("cpu", 0);
    byte[] buffer = new byte[40];
    try (FallbackRows rows = new FallbackRows(() -> gpu, () -> cpu)) {
      rows.fill(0, 10, buffer);
      Arrays.fill(buffer, (byte) 0);
      rows.fill(10, 20, buffer);
      assertArrayEquals(rows(10, 20), buffer);
      assertEquals("cuda:0+cpu", rows.device());
    }
    assertTrue(gpu.closed);
    assertTrue(cpu.closed);
    assertEquals(1, cpu.fills.get());
  }

  @Test
  void aGpuThatCannotStartLeavesTheWholeTableToTheCpu() {
    Source cpu = new Source("cpu", 0);
    try (FallbackRows rows = new FallbackRows(() -> {
      throw new IllegalStateException("CUDA_ERROR_OUT_OF_MEMORY");
    }, () -> cpu)) {
      assertEquals("cpu", rows.device());
    }
    try (FallbackRows rows = new FallbackRows(null, () -> cpu)) {
      assertEquals("cpu", rows.device());
    }
  }

  @Test
  void theCpuFailingIsNotHidden() {
    Source cpu = new Source("cpu", 1);
    try (FallbackRows rows = new FallbackRows(null, () -> cpu)) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> rows.fill(0, 1, new byte[4]));
      assertEquals("CUDA_ERROR_ILLEGAL_ADDRESS", e.getMessage());
    }
  }

  private static byte[] bytes(ByteBuffer view) {
    byte[] b = new byte[view.remaining()];
    view.get(b);
    return b;
  }

  @Test
  void viewsOfAFailingGpuAreReplacedAtTheFailedChunk() {
    Source gpu = new Source("cuda:0", 3);
    Source cpu = new Source("cpu", 0);
    byte[] buffer = new byte[40];
    try (FallbackRows rows = new FallbackRows(() -> gpu, () -> cpu)) {
      ByteBuffer first = rows.view(0, 10, 4, buffer);
      assertTrue(first.isDirect(), "the GPU's own memory, not the array");
      assertArrayEquals(rows(0, 10), bytes(first));
      assertArrayEquals(rows(10, 17), bytes(rows.view(10, 17, 4, buffer)));
      assertEquals("cuda:0", rows.device());
      ByteBuffer fallen = rows.view(17, 27, 4, buffer);
      assertEquals(0, fallen.position());
      assertEquals(40, fallen.limit());
      assertArrayEquals(rows(17, 27), bytes(fallen));
      assertEquals("cuda:0+cpu", rows.device());
    }
    assertTrue(gpu.closed);
    assertEquals(1, cpu.fills.get());
  }

  @Test
  void theCpuFailingInAViewIsNotHidden() {
    Source cpu = new Source("cpu", 1);
    try (FallbackRows rows = new FallbackRows(null, () -> cpu)) {
      IllegalStateException e =
          assertThrows(IllegalStateException.class, () -> rows.view(0, 1, 4, new byte[4]));
      assertEquals("CUDA_ERROR_ILLEGAL_ADDRESS", e.getMessage());
    }
  }

  @Test
  void gpuSizedChunksStillFitWhenTheCpuTakesOver() {
    Source gpu = new Source("cuda:0", 2);
    Source cpu = new Source("cpu", 0);
    byte[] taskArray = new byte[8];
    try (FallbackRows rows = new FallbackRows(() -> gpu, () -> cpu)) {
      // GPU chunks of 10 rows (40 bytes) against an array of 8 bytes, which the GPU's views do not use.
      assertArrayEquals(rows(0, 10), bytes(rows.view(0, 10, 4, taskArray)));
      assertArrayEquals(rows(10, 20), bytes(rows.view(10, 20, 4, taskArray)));
      assertArrayEquals(rows(20, 30), bytes(rows.view(20, 30, 4, taskArray)));
      assertArrayEquals(rows(30, 31), bytes(rows.view(30, 31, 4, taskArray)));
      assertEquals("cuda:0+cpu", rows.device());
    }
    assertEquals(3, cpu.fills.get());
  }
}
