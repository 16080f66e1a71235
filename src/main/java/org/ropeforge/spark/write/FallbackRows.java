package org.ropeforge.spark.write;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.ropeforge.spark.plan.Problem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rows from the GPU while it works, then from the CPU: a CUDA failure while setting up or filling (device memory
 * exhausted, device lost) moves the rest of the table to the CPU kernel at the failed chunk. In exact mode the two
 * kernels write the same bytes, so a table finished on the CPU is the table the GPU would have written.
 */
final class FallbackRows implements TableWriting.Rows {
  private static final Logger LOG = LoggerFactory.getLogger(FallbackRows.class);
  private static final AtomicBoolean LOGGED = new AtomicBoolean();

  private final Supplier<TableWriting.Rows> cpu;
  private TableWriting.Rows rows;
  private String gpuDevice;
  private boolean usedCpu;
  /** After a fallback, the array of chunks sized for the GPU, larger than the caller's. */
  private byte[] spare;

  /** Rows from {@code gpu} (null: none) until it fails, then from {@code cpu}. */
  FallbackRows(Supplier<TableWriting.Rows> gpu, Supplier<TableWriting.Rows> cpu) {
    this.cpu = cpu;
    if (gpu != null) {
      try {
        rows = gpu.get();
        gpuDevice = rows.device().equals("cpu") ? null : rows.device();
      } catch (RuntimeException e) {
        fallBack(e);
        rows = null;
      }
    }
    if (rows == null) {
      rows = cpu.get();
      usedCpu = true;
    }
  }

  @Override
  public void fill(long from, long to, byte[] buffer) {
    try {
      rows.fill(from, to, buffer);
    } catch (RuntimeException e) {
      if (usedCpu) {
        throw e;
      }
      fallBack(e);
      rows = cpu.get();
      usedCpu = true;
      rows.fill(from, to, buffer);
    }
  }

  @Override
  public ByteBuffer view(long from, long to, int rowBytes, byte[] buffer) {
    if (usedCpu) {
      return rows.view(from, to, rowBytes, arrayFor(from, to, rowBytes, buffer));
    }
    try {
      return rows.view(from, to, rowBytes, buffer);
    } catch (RuntimeException e) {
      fallBack(e);
      rows = cpu.get();
      usedCpu = true;
      return rows.view(from, to, rowBytes, arrayFor(from, to, rowBytes, buffer));
    }
  }

  /**
   * The caller's array, or where GPU-sized chunks outgrow it (they come in the GPU's own memory and need none),
   * an array of this object's for the CPU's rows.
   */
  private byte[] arrayFor(long from, long to, int rowBytes, byte[] buffer) {
    long bytes = (to - from) * rowBytes;
    if (bytes <= buffer.length) {
      return buffer;
    }
    if (spare == null || spare.length < bytes) {
      spare = new byte[Math.toIntExact(bytes)];
    }
    return spare;
  }

  private void fallBack(RuntimeException e) {
    if (LOGGED.compareAndSet(false, true)) {
      LOG.warn("CUDA failed on a table, which this task finishes on the CPU (logged once per executor): {}",
          Problem.describe(e));
    }
    if (rows != null) {
      try {
        rows.close();
      } catch (RuntimeException ignored) {
        // The device is already in error; its memory goes with the context.
      }
    }
  }

  @Override
  public String device() {
    if (gpuDevice == null) {
      return "cpu";
    }
    return usedCpu ? gpuDevice + "+cpu" : gpuDevice;
  }

  @Override
  public void close() {
    rows.close();
  }
}
