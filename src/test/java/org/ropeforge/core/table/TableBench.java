package org.ropeforge.core.table;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;

/**
 * Table generation throughput on one thread, in angles per second (one angle = one cos and one sin value).
 * Each operation fills one chunk of cos rows then the same chunk of sin rows into a reused buffer, walking
 * through a million-row table so that anchors are evaluated at their real rate. Rotary dim 128, base 500000,
 * as in Llama 3. Run with jobs/lib/jmh.sh (see the README).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class TableBench {
  static final int CHUNK_ROWS = 4096;
  static final int TABLE_ROWS = 1 << 20;
  static final int HALF = 64;

  @Param({"exact", "torch"})
  public String precision;

  /** f16 and bf16 are rounded from the same values as f32; their cost over f32 is the rounding. */
  @Param({"f32", "f16", "bf16"})
  public String dtype;

  /**
   * The attention factor: 1, or YaRN's 0.1 ln 8 + 1, where torch precision also hedges the scaled values
   * ({@link TorchScaledRows}).
   */
  @Param({"1.0", "1.2079442"})
  public double attentionFactor;

  private RopeTable table;
  private ByteBuffer buffer;
  private long row;

  @Setup
  public void setUp() {
    double[] omega = new double[HALF];
    for (int j = 0; j < HALF; j++) {
      omega[j] = (float) (1.0 / Math.pow(500000.0, 2.0 * j / (2 * HALF)));
    }
    LayerRope layer = new LayerRope(null, "default", 2 * HALF, omega, attentionFactor, null, null, 1.0, 0.0);
    table = RopeTable.of(layer,
        new TableOptions(Layout.HALF, Dtype.parse(dtype), Precision.parse(precision)));
    buffer = ByteBuffer.allocate(CHUNK_ROWS * table.rowBytes()).order(ByteOrder.LITTLE_ENDIAN);
  }

  @Benchmark
  @OperationsPerInvocation(CHUNK_ROWS * HALF)
  public ByteBuffer fillChunk() {
    buffer.clear();
    table.fill(TablePart.COS, row, row + CHUNK_ROWS, buffer);
    buffer.clear();
    table.fill(TablePart.SIN, row, row + CHUNK_ROWS, buffer);
    row = (row + CHUNK_ROWS) % TABLE_ROWS;
    return buffer;
  }
}
