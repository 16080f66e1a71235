package org.ropeforge.spark.write;

import java.io.Serializable;

/**
 * Points in a write task where a caller may observe or interfere: the job passes {@link #NONE}, and the fault
 * tests pass their own implementation (a task that dies mid-write, a task that leaves its pid for a test to kill
 * its executor, a write slowed down so that a test can kill a driver mid-write). Shipped to the executors with
 * the writer, so it must be serializable and its class must be on the executors' classpath.
 */
public interface WriteHooks extends Serializable {
  /** Hooks that do nothing: what every production run gets. */
  WriteHooks NONE = new WriteHooks() {
    private static final long serialVersionUID = 1L;

    private Object readResolve() {
      return NONE;
    }
  };

  /** Called when a write task starts writing (after deciding what to reuse). */
  default void taskStarted() {}

  /** Called after each chunk of rows has gone to every file of the task; {@code bytes} written so far. */
  default void chunkWritten(long bytes) {}
}
