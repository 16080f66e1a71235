package org.ropeforge.spark;

import java.io.PrintStream;
import java.util.Locale;

/** One line per stage on stderr, so that a long run shows where it is without the Spark UI. */
public final class Progress {
  private final PrintStream err;
  private final long start = System.nanoTime();

  Progress(PrintStream err) {
    this.err = err;
  }

  void stage(String format, Object... args) {
    err.printf(Locale.ROOT, "ropeforge: [%6.1f s] %s%n", seconds(), String.format(Locale.ROOT, format, args));
    err.flush();
  }

  double seconds() {
    return (System.nanoTime() - start) / 1e9;
  }

  public static String bytes(long bytes) {
    if (bytes < 1 << 20) {
      return String.format(Locale.ROOT, "%.1f KB", bytes / 1e3);
    }
    return bytes < 1_000_000_000L
        ? String.format(Locale.ROOT, "%.1f MB", bytes / 1e6)
        : String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
  }
}
