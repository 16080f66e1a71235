package org.ropeforge.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.TaskContext;
import org.ropeforge.spark.write.WriteHooks;

/**
 * The fault tests' write hooks, shipped to executors with the writer:
 *
 * <ul>
 *   <li>{@code failFirstAttemptAfterBytes} (negative: off): the first attempt of every write task dies once it
 *       has written this many table bytes, as a task does when its executor fails it; the retry must repair it.
 *   <li>{@code pidDir} (null: off): every write task leaves an empty file named after its JVM's pid in this local
 *       folder, so that a test can kill exactly that executor.
 *   <li>{@code chunkDelayMs}: sleep after each written chunk, so that a test can kill a process while it is
 *       certainly writing.
 * </ul>
 */
public record FaultHooks(long failFirstAttemptAfterBytes, String pidDir, long chunkDelayMs) implements WriteHooks {
  private static final long serialVersionUID = 1L;

  /** System properties read by {@link FaultyPrecomputeMain}, one per component. */
  public static final String FAIL_FIRST_ATTEMPT_AFTER_BYTES = "ropeforge.test.fail-first-attempt-after-bytes";
  public static final String PID_DIR = "ropeforge.test.pid-dir";
  public static final String CHUNK_DELAY_MS = "ropeforge.test.chunk-delay-ms";

  /** The hooks the system properties above describe. */
  static FaultHooks fromSystemProperties() {
    return new FaultHooks(Long.getLong(FAIL_FIRST_ATTEMPT_AFTER_BYTES, -1), System.getProperty(PID_DIR),
        Long.getLong(CHUNK_DELAY_MS, 0));
  }

  @Override
  public void taskStarted() {
    if (pidDir != null) {
      try {
        Files.createDirectories(Path.of(pidDir));
        Files.writeString(Path.of(pidDir, Long.toString(ProcessHandle.current().pid())), "");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  @Override
  public void chunkWritten(long bytes) {
    if (failFirstAttemptAfterBytes >= 0 && bytes >= failFirstAttemptAfterBytes) {
      TaskContext task = TaskContext.get();
      if (task != null && task.attemptNumber() == 0) {
        throw new InjectedFault("injected failure of write task attempt 0 of partition " + task.partitionId()
            + " after " + bytes + " bytes");
      }
    }
    if (chunkDelayMs > 0) {
      try {
        Thread.sleep(chunkDelayMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * An Error rather than an exception, so that it passes the writer's per-file handling and fails the whole
   * task the way a lost task does; Spark still counts it as a task failure, not a fatal one.
   */
  static final class InjectedFault extends Error {
    private static final long serialVersionUID = 1L;

    InjectedFault(String message) {
      super(message);
    }
  }
}
