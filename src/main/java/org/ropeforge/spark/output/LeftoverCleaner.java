package org.ropeforge.spark.output;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.ropeforge.io.AtomicOutput;

/**
 * Removes what dead runs left below an output root, once this run holds the lease (so that nothing it removes
 * can belong to a live run): hidden temporary files of {@link AtomicOutput} (a writer killed outright cannot
 * delete them), the {@code _temporary} and {@code __magic*} folders of Spark's committers, and on S3 the
 * multipart uploads left open under the root, which are invisible to listings and billed until aborted. The
 * journal is not touched here: its fragments are data, which this run reads and removes once its manifest
 * lists everything.
 */
public final class LeftoverCleaner {
  /** What was removed. */
  public record Removed(int files, long bytes, int folders, int uploads) {
    public boolean any() {
      return files + folders + uploads > 0;
    }
  }

  private LeftoverCleaner() {}

  /**
   * @param leaseTimeout the run's lease timeout: a temporary file of the lease itself older than this is a dead
   *     run's heartbeat cut off mid-write, not one being written by a live run (which takes milliseconds)
   */
  public static Removed clean(FileSystem fs, Path out, java.time.Duration leaseTimeout) throws IOException {
    int[] counts = new int[2];
    long[] bytes = new long[1];
    if (fs.exists(out)) {
      walk(fs, out, counts, bytes, System.currentTimeMillis() - leaseTimeout.toMillis());
    }
    String scheme = fs.getUri().getScheme();
    int uploads = scheme != null && scheme.startsWith("s3") ? S3Uploads.abortUnder(fs, out) : 0;
    return new Removed(counts[0], bytes[0], counts[1], uploads);
  }

  private static void walk(FileSystem fs, Path dir, int[] counts, long[] bytes, long leaseTempsBefore)
      throws IOException {
    FileStatus[] entries;
    try {
      entries = fs.listStatus(dir);
    } catch (FileNotFoundException e) {
      return;
    }
    List<Path> folders = new ArrayList<>();
    for (FileStatus entry : entries) {
      String name = entry.getPath().getName();
      if (entry.isDirectory()) {
        if (name.equals("_temporary") || name.startsWith("__magic")) {
          if (fs.delete(entry.getPath(), true)) {
            counts[1]++;
          }
        } else {
          folders.add(entry.getPath());
        }
      } else if (AtomicOutput.isTemporaryName(name) && (!name.startsWith("." + RunLease.NAME)
          || entry.getModificationTime() < leaseTempsBefore)) {
        // A young temporary file of the lease belongs to a run renewing or taking the lease right now; one older
        // than the lease timeout is a dead run's heartbeat, killed between its write and its rename.
        if (fs.delete(entry.getPath(), false)) {
          counts[0]++;
          bytes[0] += entry.getLen();
        }
      }
    }
    for (Path folder : folders) {
      walk(fs, folder, counts, bytes, leaseTempsBefore);
    }
  }
}
