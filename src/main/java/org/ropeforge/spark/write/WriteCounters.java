package org.ropeforge.spark.write;

import java.io.Serializable;
import org.apache.spark.SparkContext;
import org.apache.spark.util.LongAccumulator;

/** Executor-side counters of the write stage; Spark merges them on the driver as tasks finish. */
public final class WriteCounters implements Serializable {
  private static final long serialVersionUID = 1L;

  private final LongAccumulator bytes;
  private final LongAccumulator tables;
  private final LongAccumulator reused;
  private final LongAccumulator computed;

  public WriteCounters(SparkContext sc) {
    bytes = sc.longAccumulator("ropeforge bytes written");
    tables = sc.longAccumulator("ropeforge tables written");
    reused = sc.longAccumulator("ropeforge bytes reused");
    computed = sc.longAccumulator("ropeforge layer tables computed");
  }

  /** Counters that only count locally, for code run outside a Spark job. */
  public WriteCounters() {
    bytes = new LongAccumulator();
    tables = new LongAccumulator();
    reused = new LongAccumulator();
    computed = new LongAccumulator();
  }

  void addReused(long n) {
    reused.add(n);
  }

  /** Bytes of the files found current and kept, instead of written again. */
  public long reusedBytes() {
    return reused.value();
  }

  void addBytes(long n) {
    bytes.add(n);
  }

  void tableDone() {
    tables.add(1);
  }

  void tableComputed() {
    computed.add(1);
  }

  /**
   * Layer tables computed so far: one per layer of each group a task writes, however many files, lengths,
   * layouts and dtypes it writes the table to.
   */
  public long tablesComputed() {
    return computed.value();
  }

  /** Table bytes written so far. */
  public long bytes() {
    return bytes.value();
  }

  /** Outputs completed so far. */
  public long tables() {
    return tables.value();
  }
}
