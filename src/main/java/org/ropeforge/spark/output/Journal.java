package org.ropeforge.spark.output;

import java.io.BufferedReader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.ropeforge.io.AtomicOutput;

/**
 * The progressive journal of a run, {@code <out>/_journal/}: each write task, as it finishes, commits one
 * fragment listing the outputs it completed, as manifest lines ({@link Manifest#toJson}), with their paths,
 * sizes, SHA-256 and input fingerprints. A run that starts where another died reads every fragment besides the
 * previous manifest, so that it reuses what was complete (each file still checked against its size and SHA-256);
 * a run deletes the journal once its own manifest, which lists everything, is written.
 *
 * <p>A fragment is written like every output, visible only when complete: renamed into place on filesystems, a
 * single upload on object stores. Its name, {@code <run id>-<partition>-<attempt>.jsonl}, is unique per task
 * attempt, so a retried task adds a fragment rather than replacing one.
 */
public final class Journal {
  /** The journal's folder below the output root; '_' keeps it out of Spark's and Hadoop's listings. */
  public static final String DIR = "_journal";

  /** Fragments end in this; a hidden temporary name does not count. */
  public static final String SUFFIX = ".jsonl";

  private Journal() {}

  /** Where a task attempt's fragment goes. */
  public static Path fragment(Path out, String runId, int partition, int attempt) {
    return new Path(new Path(out, DIR), runId + "-" + partition + "-" + attempt + SUFFIX);
  }

  /** Commits a fragment holding {@code outcomes} (only written or reused outputs belong in it). */
  public static void commit(FileSystem fs, Path fragment, List<Outcome> outcomes) throws IOException {
    try (AtomicOutput out = AtomicOutput.create(fs, fragment)) {
      for (Outcome outcome : outcomes) {
        out.write((Manifest.toJson(outcome) + "\n").getBytes(StandardCharsets.UTF_8));
      }
      out.commit();
    }
  }

  /**
   * Adds every row of every complete fragment below {@code out} to {@code rows}, by key, over what is there.
   * Where two fragments list one output (a retried task), either row may stay: reuse checks each file against
   * its row's size and SHA-256 before trusting it. Lines that are not manifest lines are skipped.
   *
   * @return the number of fragments read
   */
  public static int readInto(FileSystem fs, Path out, Map<String, Manifest.Row> rows) throws IOException {
    FileStatus[] fragments;
    try {
      fragments = fs.listStatus(new Path(out, DIR));
    } catch (FileNotFoundException e) {
      return 0;
    }
    int read = 0;
    for (FileStatus fragment : fragments) {
      String name = fragment.getPath().getName();
      if (!fragment.isFile() || !name.endsWith(SUFFIX) || name.startsWith(".")) {
        continue;
      }
      try (BufferedReader in = new BufferedReader(
          new InputStreamReader(fs.open(fragment.getPath()), StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          Manifest.Row row = Manifest.parseOrNull(line);
          if (row != null) {
            rows.put(row.key(), row);
          }
        }
      }
      read++;
    }
    return read;
  }

  /** Removes the journal, once a manifest lists everything it held. */
  public static void delete(FileSystem fs, Path out) throws IOException {
    Path dir = new Path(out, DIR);
    if (fs.exists(dir)) {
      fs.delete(dir, true);
    }
  }
}
