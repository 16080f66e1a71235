package org.ropeforge.gpu;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;
import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUstream;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.core.table.RopeTable;
import org.ropeforge.core.table.TablePart;

/**
 * The rows of one table computed on a CUDA device, with the bytes of {@link RopeTable#fill} for the same layer
 * and options: in exact mode identical (the kernel repeats the CPU's double operations on the rotations the
 * CPU evaluates, see rope.cu), in torch mode the float32 recipe with double cos/sin, which can differ from the
 * CPU in the last bit of a rare value.
 *
 * <p>Two ways to the host: {@link #fillPinned} copies the rows into page-locked (pinned) host memory, which the
 * GPU writes at the speed of the bus (about 50 GB/s on an H200), and hands that memory out as a buffer, for a
 * consumer that can use a ByteBuffer (a file channel can write it as it is); {@link #fill} copies into a Java
 * array, pageable memory that the driver reaches through its own staging buffers at about 11 GB/s.
 *
 * <p>Holds device memory until {@link #close}, and pinned host memory, which it then gives back to its device's
 * pool for the next table; not thread-safe (one per task thread, like
 * RopeTable).
 */
public final class CudaTable implements AutoCloseable {
  private static final int THREADS_PER_BLOCK = 256;
  private static final int TABLE_ROWS = 32;

  private final CudaDevice device;
  private final RopeTable table;
  private final Layout layout;
  private final Dtype dtype;
  private final boolean torch;
  private final int half;

  private final RopeTable.ExactRotations rotations;
  private final double[] omega;
  private final float factor;
  private final double offset;
  private final float scale;
  private final boolean plainPositions;

  /** Exact: the six rotation tables, 32 rows each; torch: the fp32 frequencies. */
  private final CUdeviceptr constants = new CUdeviceptr();
  private final CUdeviceptr anchors = new CUdeviceptr();
  private final CUdeviceptr output = new CUdeviceptr();
  private long anchorCapacity;
  private long outputCapacity;
  /** Kernels and copies run in this order on this stream, so the host waits only where it reads the rows. */
  private final CUstream stream = new CUstream();
  /** Taken from the device's pool on first use, given back at close. */
  private CudaDevice.PinnedBuffer pinned;
  private double[] anchorCos = new double[0];
  private double[] anchorSin = new double[0];
  private boolean closed;

  private CudaTable(CudaDevice device, RopeTable table) {
    this.device = device;
    this.table = table;
    this.layout = table.options().layout();
    this.dtype = table.options().dtype();
    this.torch = table.options().precision() == Precision.TORCH;
    LayerRope layer = table.layer();
    this.half = layer.rotaryDim() / 2;
    device.makeCurrent();
    cuStreamCreate(stream, 0);
    if (torch) {
      rotations = null;
      omega = new double[half];
      for (int j = 0; j < half; j++) {
        omega[j] = (float) layer.invFreq(j);
      }
      factor = (float) layer.attentionFactor();
      offset = layer.positionOffset();
      scale = (float) layer.positionScale();
      plainPositions = layer.plainPositions();
      cuMemAlloc(constants, (long) half * Sizeof.DOUBLE);
      cuMemcpyHtoD(constants, Pointer.to(omega), (long) half * Sizeof.DOUBLE);
    } else {
      rotations = table.exactRotations();
      omega = null;
      factor = 0;
      offset = 0;
      scale = 0;
      plainPositions = true;
      long tableBytes = (long) TABLE_ROWS * half * Sizeof.DOUBLE;
      cuMemAlloc(constants, 6 * tableBytes);
      double[][] tables = {rotations.bigCos(), rotations.bigSin(), rotations.midCos(), rotations.midSin(),
          rotations.stepCos(), rotations.stepSin()};
      for (int t = 0; t < tables.length; t++) {
        cuMemcpyHtoD(constants.withByteOffset(t * tableBytes), Pointer.to(tables[t]), tableBytes);
      }
    }
  }

  /** The table of {@code table}'s layer and options on {@code device}. */
  /**
   * Whether the kernel writes this layout. It has no {@code pairs} code: callers compute that layout on the CPU
   * (same bytes) rather than asking the committed PTX for a layout it does not know.
   */
  public static boolean supports(Layout layout) {
    return layout != Layout.PAIRS;
  }

  public static CudaTable of(CudaDevice device, RopeTable table) {
    if (!supports(table.options().layout())) {
      throw new IllegalArgumentException("The CUDA kernel has no layout " + table.options().layout().cliName()
          + ": compute it on the CPU");
    }
    return new CudaTable(Objects.requireNonNull(device, "device"), Objects.requireNonNull(table, "table"));
  }

  public CudaDevice device() {
    return device;
  }

  /** Bytes per row of each tensor, as {@link RopeTable#rowBytes()}. */
  public int rowBytes() {
    return table.rowBytes();
  }

  /**
   * Writes rows {@code [fromRow, toRow)} of tensor {@code part}, little-endian, to {@code out[0 ..)}: the bytes
   * {@link RopeTable#fill} writes for the same rows (exact mode).
   *
   * @throws IllegalArgumentException if the part is not one of the layout's, the range is invalid, or
   *     {@code out} has too little room
   */
  public void fill(TablePart part, long fromRow, long toRow, byte[] out) {
    long bytes = checkedBytes(part, fromRow, toRow);
    if (bytes > out.length) {
      throw new IllegalArgumentException("Buffer too small for rows [" + fromRow + ", " + toRow + "): needs "
          + bytes + " bytes, has " + out.length);
    }
    if (bytes == 0) {
      return;
    }
    launch(part, fromRow, toRow);
    // JCuda copies into a Java array only synchronously, outside the stream. Into pageable memory the driver
    // stages through its own pinned buffers; on an H200 that beat copying on out of our pinned buffer on one
    // thread (11 against 6 GB/s), so a Java array keeps that path.
    cuStreamSynchronize(stream);
    cuMemcpyDtoH(Pointer.to(out), output, bytes);
  }

  /**
   * Rows {@code [fromRow, toRow)} of tensor {@code part} in pinned host memory: a read-only little-endian buffer
   * of {@code (toRow - fromRow) * rowBytes()} bytes holding what {@link #fill} would write. It stays valid until
   * the next call on this table or {@link #close}; the memory is reused, so copy what must outlive that.
   *
   * @throws IllegalArgumentException if the part is not one of the layout's or the range is invalid
   */
  public ByteBuffer fillPinned(TablePart part, long fromRow, long toRow) {
    long bytes = checkedBytes(part, fromRow, toRow);
    if (bytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("Invalid row range [" + fromRow + ", " + toRow + ") for one buffer: "
          + bytes + " bytes");
    }
    if (bytes == 0) {
      return ByteBuffer.allocate(0).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }
    launch(part, fromRow, toRow);
    ensurePinned(bytes);
    cuMemcpyDtoHAsync(pinned.pointer(), output, bytes, stream);
    cuStreamSynchronize(stream);
    // A read-only view starts big-endian whatever it views, hence the order last.
    return pinned.bytes().slice(0, (int) bytes).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * Computes rows {@code [fromRow, toRow)} of {@code part} into device memory only and waits for the kernel:
   * the device's share of {@link #fill}, for measuring it apart from the copy to the host.
   *
   * @return the bytes computed
   */
  public long compute(TablePart part, long fromRow, long toRow) {
    long bytes = checkedBytes(part, fromRow, toRow);
    if (bytes > 0) {
      launch(part, fromRow, toRow);
      cuStreamSynchronize(stream);
    }
    return bytes;
  }

  /** The bytes of rows [fromRow, toRow) of part, after checking the table is open and the arguments. */
  private long checkedBytes(TablePart part, long fromRow, long toRow) {
    if (closed) {
      throw new IllegalStateException("CudaTable is closed");
    }
    if (!layout.parts().contains(part)) {
      throw new IllegalArgumentException(
          "Invalid part " + part.tensorName() + " for layout " + layout.cliName() + " (parts: " + layout.parts() + ")");
    }
    if (fromRow < 0 || toRow < fromRow || toRow > RopeTable.MAX_ROWS) {
      throw new IllegalArgumentException(
          "Invalid row range [" + fromRow + ", " + toRow + ") (must satisfy 0 <= from <= to <= 2^31)");
    }
    return (toRow - fromRow) * table.rowBytes();
  }

  /** Queues the kernel for rows [fromRow, toRow) of part (at least one row) into the device output buffer. */
  private void launch(TablePart part, long fromRow, long toRow) {
    long rows = toRow - fromRow;
    long bytes = rows * table.rowBytes();
    device.makeCurrent();
    ensureOutput(bytes);
    long threads = rows * half;
    int blocks = (int) ((threads + THREADS_PER_BLOCK - 1) / THREADS_PER_BLOCK);
    CUfunction kernel;
    Pointer arguments;
    if (torch) {
      kernel = device.torchKernel;
      arguments = Pointer.to(Pointer.to(constants), Pointer.to(new float[] {factor}),
          Pointer.to(new int[] {plainPositions ? 1 : 0}), Pointer.to(new double[] {offset}),
          Pointer.to(new float[] {scale}), Pointer.to(new long[] {fromRow}),
          Pointer.to(new int[] {(int) rows}), Pointer.to(new int[] {half}), Pointer.to(new int[] {layoutCode()}),
          Pointer.to(new int[] {dtypeCode()}), Pointer.to(new int[] {partCode(part)}), Pointer.to(output));
    } else {
      long firstAnchor = fromRow - fromRow % RopeTable.ANCHOR_ROWS;
      uploadAnchors(firstAnchor, toRow);
      long tableBytes = (long) TABLE_ROWS * half * Sizeof.DOUBLE;
      kernel = device.exactKernel;
      arguments = Pointer.to(Pointer.to(anchors), Pointer.to(anchors.withByteOffset(anchorCapacity / 2)),
          Pointer.to(constants), Pointer.to(constants.withByteOffset(tableBytes)),
          Pointer.to(constants.withByteOffset(2 * tableBytes)), Pointer.to(constants.withByteOffset(3 * tableBytes)),
          Pointer.to(constants.withByteOffset(4 * tableBytes)), Pointer.to(constants.withByteOffset(5 * tableBytes)),
          Pointer.to(new double[] {rotations.factor()}), Pointer.to(new long[] {firstAnchor}),
          Pointer.to(new long[] {fromRow}), Pointer.to(new int[] {(int) rows}), Pointer.to(new int[] {half}),
          Pointer.to(new int[] {layoutCode()}), Pointer.to(new int[] {dtypeCode()}),
          Pointer.to(new int[] {partCode(part)}), Pointer.to(output));
    }
    cuLaunchKernel(kernel, blocks, 1, 1, THREADS_PER_BLOCK, 1, 1, 0, stream, arguments, null);
  }

  /** Anchors firstAnchor, firstAnchor + ANCHOR_ROWS, ... up to the one of row toRow - 1, evaluated by the CPU. */
  private void uploadAnchors(long firstAnchor, long toRow) {
    int count = (int) ((toRow - 1 - firstAnchor) / RopeTable.ANCHOR_ROWS + 1);
    int values = count * half;
    if (anchorCos.length < values) {
      anchorCos = new double[values];
      anchorSin = new double[values];
    }
    for (int a = 0; a < count; a++) {
      table.anchorRotations(firstAnchor + a * RopeTable.ANCHOR_ROWS, anchorCos, anchorSin, a * half);
    }
    long bytes = (long) values * Sizeof.DOUBLE;
    if (2 * bytes > anchorCapacity) {
      if (anchorCapacity > 0) {
        cuMemFree(anchors);
      }
      anchorCapacity = 2 * Math.max(bytes, 64L * half * Sizeof.DOUBLE);
      cuMemAlloc(anchors, anchorCapacity);
    }
    cuMemcpyHtoD(anchors, Pointer.to(anchorCos), bytes);
    cuMemcpyHtoD(anchors.withByteOffset(anchorCapacity / 2), Pointer.to(anchorSin), bytes);
  }

  /** Grows the pinned host buffer to at least {@code bytes}; pinning is slow, so it only grows. */
  private void ensurePinned(long bytes) {
    if (pinned != null && bytes <= pinned.capacity()) {
      return;
    }
    if (pinned != null) {
      device.givePinned(pinned);
      pinned = null;
    }
    pinned = device.takePinned(bytes);
  }

  private void ensureOutput(long bytes) {
    if (bytes <= outputCapacity) {
      return;
    }
    if (outputCapacity > 0) {
      cuMemFree(output);
    }
    outputCapacity = bytes;
    cuMemAlloc(output, bytes);
  }

  // The codes of rope.cu's LAYOUT_*, DTYPE_* and PART_* constants.
  private int layoutCode() {
    return switch (layout) {
      case HALF -> 0;
      case NEOX -> 1;
      case GPTJ -> 2;
      case VLLM -> 3;
      case PAIRS -> throw new IllegalStateException("No kernel code for layout pairs");
    };
  }

  private int dtypeCode() {
    return switch (dtype) {
      case F32 -> 0;
      case F16 -> 1;
      case BF16 -> 2;
      case F64 -> 3;
    };
  }

  private static int partCode(TablePart part) {
    return switch (part) {
      case COS -> 0;
      case SIN -> 1;
      case COS_SIN -> 2;
    };
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    device.makeCurrent();
    cuMemFree(constants);
    if (anchorCapacity > 0) {
      cuMemFree(anchors);
    }
    if (outputCapacity > 0) {
      cuMemFree(output);
    }
    if (pinned != null) {
      device.givePinned(pinned);
      pinned = null;
    }
    cuStreamDestroy(stream);
  }
}
