package org.ropeforge.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.ropeforge.gpu.CudaDevice;
import org.ropeforge.io.AtomicOutput;
import org.ropeforge.io.HadoopConf;
import org.ropeforge.io.Sha256;

/**
 * Runs on executors: writes the files of a group of targets that share one table spec. Each chunk of rows is
 * computed once, for the longest context length in the group, and streamed to every file that needs it; a
 * shorter context length takes the prefix, which is exact because row p depends on p and the spec only.
 */
final class GroupWriter implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Rows are computed this many bytes at a time: large writes, a buffer that stays in cache-friendly range. */
  static final int CHUNK_BYTES = 4 << 20;

  /** One buffer per task thread, reused: freshly touched memory is slow on this kind of VM. */
  private static final ThreadLocal<byte[]> BUFFER = ThreadLocal.withInitial(() -> new byte[CHUNK_BYTES]);

  private final HadoopConf conf;
  private final String outRoot;
  private final boolean writeFiles;
  private final TableWriting tables;

  GroupWriter(HadoopConf conf, String outRoot, boolean writeFiles, TableWriting tables) {
    this.conf = conf;
    this.outRoot = outRoot;
    this.writeFiles = writeFiles;
    this.tables = tables;
  }

  /**
   * Writes the targets of one group; {@code previous} holds, per target, the previous run's manifest line
   * when that one is reusable as it is. Never throws for a single target's failure: it becomes an error.
   */
  List<Outcome> write(List<Target> targets, Map<String, Manifest.Line> previous, Progress.Counters counters) {
    List<Outcome> outcomes = new ArrayList<>(targets.size());
    List<Target> todo = new ArrayList<>();
    for (Target target : targets) {
      Outcome reused = reuse(target, previous.get(Manifest.key(target.modelId(), target.contextLength())));
      if (reused != null) {
        outcomes.add(reused);
      } else {
        todo.add(target);
      }
    }
    if (!todo.isEmpty()) {
      TestHooks hooks = TestHooks.from(conf.get());
      hooks.taskStarted();
      outcomes.addAll(writeAll(todo, counters, hooks));
    }
    return outcomes;
  }

  private Outcome reuse(Target target, Manifest.Line line) {
    if (line == null || !line.reusableFor(target)) {
      return null;
    }
    try {
      for (Outcome.OutputFile file : line.files()) {
        Path path = new Path(outRoot, file.path());
        FileSystem fs = conf.fileSystem(path);
        FileStatus status = fs.getFileStatus(path);
        // The size alone would take a same-sized file of other bytes (a run with other options killed while
        // replacing it, a copy gone wrong) as current; reading it back costs less than recomputing it.
        if (status.getLen() != file.bytes() || !file.sha256().equals(sha256(fs, path))) {
          return null;
        }
      }
    } catch (IOException e) {
      return null; // missing or unreadable: written afresh
    }
    return new Outcome(target, Outcome.SKIPPED, line.files(), line.tableSha256(), line.tableDevices(), line.gpu(),
        null);
  }

  static String sha256(FileSystem fs, Path path) throws IOException {
    MessageDigest digest = Sha256.newDigest();
    byte[] buffer = BUFFER.get();
    try (InputStream in = fs.open(path)) {
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
    }
    return Sha256.hex(digest);
  }

  private List<Outcome> writeAll(List<Target> targets, Progress.Counters counters, TestHooks hooks) {
    AtomicOutput[] outputs = new AtomicOutput[targets.size()];
    try {
      return writeAll(targets, counters, hooks, outputs);
    } catch (Throwable e) {
      // The task dies (killed by Spark, out of memory, a fault): no temporary file may outlive it, and its
      // retry writes every file afresh.
      for (int t = 0; t < outputs.length; t++) {
        close(outputs, t);
      }
      throw e;
    }
  }

  private List<Outcome> writeAll(List<Target> targets, Progress.Counters counters, TestHooks hooks,
      AtomicOutput[] outputs) {
    List<LayerSpec> spec = targets.get(0).specKey();
    int n = targets.size();
    Target.Problem[] problems = new Target.Problem[n];
    long maxLength = 0;
    for (Target target : targets) {
      maxLength = Math.max(maxLength, target.contextLength());
    }
    List<Map<Long, MessageDigest>> tableDigests = new ArrayList<>();
    long taskBytes = 0;
    String gpuAddress = TaskGpu.address();
    CudaDevice gpu = TaskGpu.open(gpuAddress);
    List<String> tableDevices = new ArrayList<>();
    try {
      for (int t = 0; t < n && writeFiles; t++) {
        try {
          Path path = new Path(outRoot, OutputPaths.safetensors(targets.get(t).modelId(),
              targets.get(t).contextLength()));
          outputs[t] = AtomicOutput.create(conf.fileSystem(path), path);
          outputs[t].write(tables.header(targets.get(t)));
        } catch (IOException | RuntimeException e) {
          problems[t] = writeProblem(e);
          close(outputs, t);
        }
      }
      byte[] buffer = BUFFER.get();
      for (int layer = 0; layer < spec.size(); layer++) {
        LayerSpec layerSpec = spec.get(layer);
        Map<Long, MessageDigest> digests = new TreeMap<>();
        for (Target target : targets) {
          digests.computeIfAbsent(target.contextLength(), length -> Sha256.newDigest());
        }
        tableDigests.add(digests);
        byte[] prefix = tables.layerPrefix(layerSpec);
        for (int t = 0; t < n; t++) {
          if (outputs[t] != null) {
            try {
              outputs[t].write(prefix);
            } catch (IOException | RuntimeException e) {
              problems[t] = writeProblem(e);
              close(outputs, t);
            }
          }
        }
        int rowBytes = tables.rowBytes(layerSpec);
        int chunkRows = Math.max(1, buffer.length / rowBytes);
        if (rowBytes > buffer.length) {
          buffer = new byte[rowBytes];
          BUFFER.set(buffer);
        }
        Set<String> devices = new LinkedHashSet<>();
        for (int p = 0; p < tables.parts(); p++) {
          int part = p;
          try (TableWriting.Rows rows = new FallbackRows(gpu == null ? null : () -> tables.rows(layerSpec, part, gpu),
              () -> tables.rows(layerSpec, part))) {
            for (long from = 0; from < maxLength; from += chunkRows) {
              long to = Math.min(maxLength, from + chunkRows);
              rows.fill(from, to, buffer);
              for (Map.Entry<Long, MessageDigest> d : digests.entrySet()) {
                if (d.getKey() > from) {
                  d.getValue().update(buffer, 0, (int) ((Math.min(to, d.getKey()) - from) * rowBytes));
                }
              }
              for (int t = 0; t < n; t++) {
                long length = targets.get(t).contextLength();
                if (outputs[t] == null || length <= from) {
                  continue;
                }
                int bytes = (int) ((Math.min(to, length) - from) * rowBytes);
                try {
                  outputs[t].write(buffer, 0, bytes);
                  counters.addBytes(bytes);
                  taskBytes += bytes;
                } catch (IOException | RuntimeException e) {
                  problems[t] = writeProblem(e);
                  close(outputs, t);
                }
              }
              hooks.chunkWritten(taskBytes);
            }
            devices.addAll(List.of(rows.device().split("\\+")));
          }
        }
        tableDevices.add(String.join("+", devices));
      }
    } catch (RuntimeException e) {
      // The table itself could not be computed: no file of this group can be right.
      for (int t = 0; t < n; t++) {
        if (problems[t] == null) {
          problems[t] = new Target.Problem("table", null, "Cannot compute table: " + Normalizer.describe(e));
        }
        close(outputs, t);
      }
    }
    List<Outcome> outcomes = new ArrayList<>(n);
    for (int t = 0; t < n; t++) {
      Target target = targets.get(t);
      List<Outcome.OutputFile> files = new ArrayList<>();
      if (problems[t] == null && outputs[t] != null) {
        try {
          long expected = tables.fileSize(target);
          if (outputs[t].bytes() != expected) {
            throw new IllegalStateException(
                "wrote " + outputs[t].bytes() + " bytes where the file layout has " + expected);
          }
          AtomicOutput.Written written = outputs[t].commit();
          files.add(new Outcome.OutputFile(
              OutputPaths.safetensors(target.modelId(), target.contextLength()), written.bytes(),
              written.sha256()));
        } catch (IOException | RuntimeException e) {
          problems[t] = writeProblem(e);
          close(outputs, t);
        }
      }
      if (problems[t] != null) {
        outcomes.add(Outcome.failed(target, problems[t]));
        continue;
      }
      List<String> shas = new ArrayList<>();
      for (Map<Long, MessageDigest> digests : tableDigests) {
        shas.add(Sha256.hexSoFar(digests.get(target.contextLength())));
      }
      counters.tableDone();
      outcomes.add(new Outcome(target, Outcome.OK, files, shas, tableDevices, gpuAddress, null));
    }
    return outcomes;
  }

  private static Target.Problem writeProblem(Exception e) {
    return new Target.Problem("output", null, "Cannot write output: " + Normalizer.describe(e));
  }

  private static void close(AtomicOutput[] outputs, int t) {
    if (outputs[t] != null) {
      outputs[t].abort();
      outputs[t] = null;
    }
  }

  /** Targets of one spec in batches of at most {@code maxFiles} files and about {@code maxBytes} bytes. */
  static List<List<Target>> batches(List<Target> targets, int maxFiles, long maxBytes, TableWriting tables) {
    List<Target> sorted = new ArrayList<>(targets);
    sorted.sort((a, b) -> a.modelId().equals(b.modelId())
        ? Long.compare(a.contextLength(), b.contextLength()) : a.modelId().compareTo(b.modelId()));
    List<List<Target>> batches = new ArrayList<>();
    List<Target> current = new ArrayList<>();
    long bytes = 0;
    for (Target target : sorted) {
      long size = tableBytes(target, tables);
      if (!current.isEmpty() && (current.size() >= maxFiles || bytes + size > maxBytes)) {
        batches.add(current);
        current = new ArrayList<>();
        bytes = 0;
      }
      current.add(target);
      bytes += size;
    }
    if (!current.isEmpty()) {
      batches.add(current);
    }
    return batches;
  }

  static long tableBytes(Target target, TableWriting tables) {
    long bytes = 0;
    for (LayerSpec layer : target.layers()) {
      bytes += (long) tables.rowBytes(layer) * tables.parts() * target.contextLength();
    }
    return bytes;
  }

  /** Convenience for tests and the planner: the groups of a target list by spec, in first-seen order. */
  static Map<List<LayerSpec>, List<Target>> bySpec(List<Target> targets) {
    Map<List<LayerSpec>, List<Target>> groups = new LinkedHashMap<>();
    for (Target target : targets) {
      groups.computeIfAbsent(target.specKey(), k -> new ArrayList<>()).add(target);
    }
    return groups;
  }
}
