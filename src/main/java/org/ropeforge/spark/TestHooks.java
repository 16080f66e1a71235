package org.ropeforge.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.TaskContext;

/**
 * TEST-ONLY fault injection for the write stage. Inert unless the JVM that runs the task was started with
 * {@code -Dropeforge.testing=true}, which no launcher, properties file or template sets; the Hadoop keys below
 * are ignored without it, so a production configuration cannot switch a fault on by mistake.
 *
 * <ul>
 *   <li>{@value #FAIL_FIRST_ATTEMPT_AFTER_BYTES}: the first attempt of every write task dies once it has
 *       written this many table bytes, as a task does when its executor fails it; the retry must repair it.
 *   <li>{@value #PID_DIR}: every write task leaves an empty file named after its JVM's pid in this local
 *       folder, so that a test can kill exactly that executor.
 *   <li>{@value #CHUNK_DELAY_MS}: sleep after each written chunk, so that a test can kill a process while it
 *       is certainly writing.
 * </ul>
 */
final class TestHooks {
  static final String ENABLED_PROPERTY = "ropeforge.testing";
  static final String FAIL_FIRST_ATTEMPT_AFTER_BYTES = "ropeforge.test.fail-first-attempt-after-bytes";
  static final String PID_DIR = "ropeforge.test.pid-dir";
  static final String CHUNK_DELAY_MS = "ropeforge.test.chunk-delay-ms";

  /** Hooks that do nothing: what production always gets. */
  static final TestHooks NONE = new TestHooks(-1, null, 0);

  private final long failAfterBytes;
  private final String pidDir;
  private final long chunkDelayMs;

  private TestHooks(long failAfterBytes, String pidDir, long chunkDelayMs) {
    this.failAfterBytes = failAfterBytes;
    this.pidDir = pidDir;
    this.chunkDelayMs = chunkDelayMs;
  }

  static TestHooks from(Configuration conf) {
    if (!Boolean.getBoolean(ENABLED_PROPERTY)) {
      return NONE;
    }
    return new TestHooks(conf.getLong(FAIL_FIRST_ATTEMPT_AFTER_BYTES, -1), conf.get(PID_DIR),
        conf.getLong(CHUNK_DELAY_MS, 0));
  }

  /** Called when a write task starts. */
  void taskStarted() {
    if (pidDir != null) {
      try {
        Files.createDirectories(Path.of(pidDir));
        Files.writeString(Path.of(pidDir, Long.toString(ProcessHandle.current().pid())), "");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** Called after each chunk of rows has gone to every file of the task; {@code bytes} so far in this task. */
  void chunkWritten(long bytes) {
    if (failAfterBytes >= 0 && bytes >= failAfterBytes) {
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
