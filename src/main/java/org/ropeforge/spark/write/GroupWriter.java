package org.ropeforge.spark.write;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.ropeforge.gpu.CudaDevice;
import org.ropeforge.io.AtomicOutput;
import org.ropeforge.io.HadoopConf;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.io.Sha256;
import org.ropeforge.spark.output.Journal;
import org.ropeforge.spark.output.Manifest;
import org.ropeforge.spark.output.Outcome;
import org.ropeforge.spark.output.OutputPaths;
import org.ropeforge.spark.plan.Encoding;
import org.ropeforge.spark.plan.Problem;
import org.ropeforge.spark.plan.Target;

/**
 * Runs on executors: writes the files of a group of targets that share one table spec. Each chunk of rows is
 * computed once, for the longest context length in the group, and streamed to every file that needs it; a
 * shorter context length takes the prefix, which is exact because row p depends on p and the spec only.
 */
public final class GroupWriter implements Serializable {
  private static final long serialVersionUID = 4L;
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GroupWriter.class);

  /** Rows are computed this many bytes at a time: large writes, a buffer that stays in cache-friendly range. */
  static final int CHUNK_BYTES = 4 << 20;

  /**
   * Chunks from a GPU are this many bytes: they come in its pinned memory, not in the task's array, and each
   * costs a launch, an anchor upload and a wait besides the copy, which larger chunks spread thinner.
   */
  static final int GPU_CHUNK_BYTES = 16 << 20;

  /** One buffer per task thread, reused: freshly touched memory is slow on this kind of VM. */
  private static final ThreadLocal<byte[]> BUFFER = ThreadLocal.withInitial(() -> new byte[CHUNK_BYTES]);

  private final HadoopConf conf;
  private final String outRoot;
  private final boolean writeFiles;
  private final TableForms forms;
  private final WriteHooks hooks;
  private final String runId;
  private final boolean shared;
  /** In the content-addressed store, the content key of each target being written, computed once per task. */
  private transient Map<Target, String> keys;

  /**
   * @param writeFiles whether safetensors files are written; without them the task still computes each table
   *     once for its digests
   * @param runId the run's id, which names its journal fragments
   * @param shared write the content-addressed store: one file per distinct table, not one per target
   */
  public GroupWriter(HadoopConf conf, String outRoot, boolean writeFiles, TableForms forms, WriteHooks hooks,
      String runId, boolean shared) {
    this.conf = conf;
    this.outRoot = outRoot;
    this.writeFiles = writeFiles;
    this.forms = forms;
    this.hooks = hooks;
    this.runId = runId;
    this.shared = shared;
  }

  /** A writer of one form (half, f32), for targets that name none. */
  public GroupWriter(HadoopConf conf, String outRoot, boolean writeFiles, TableWriting tables, WriteHooks hooks,
      String runId, boolean shared) {
    this(conf, outRoot, writeFiles, TableForms.single(new Encoding(Layout.HALF, Dtype.F32), tables), hooks, runId,
        shared);
  }

  /**
   * Writes the targets of one group, reusing the files of each whose earlier row is reusable and whose files
   * still check. Never throws for a single target's failure: it becomes an error.
   */
  public List<Outcome> write(List<PlannedOutput> batch, WriteCounters counters) {
    List<Outcome> outcomes = shared ? writeShared(batch, counters) : writePerModel(batch, counters);
    journal(outcomes);
    return outcomes;
  }

  private List<Outcome> writePerModel(List<PlannedOutput> batch, WriteCounters counters) {
    List<Outcome> outcomes = new ArrayList<>(batch.size());
    List<Target> todo = new ArrayList<>();
    for (PlannedOutput planned : batch) {
      Outcome reused = reuse(planned.target(), planned.previous(), counters);
      if (reused != null) {
        outcomes.add(reused);
      } else {
        todo.add(planned.target());
      }
    }
    if (!todo.isEmpty()) {
      hooks.taskStarted();
      outcomes.addAll(writeAll(todo, counters));
    }
    return outcomes;
  }

  /**
   * The content-addressed store: the targets of the batch grouped by the content key of their table file. A key
   * whose file an earlier row lists, and which still checks, is reused once for all its targets; any other key's
   * file is written once, by its first target, and every target of the key points to it.
   */
  private List<Outcome> writeShared(List<PlannedOutput> batch, WriteCounters counters) {
    keys = new HashMap<>();
    Map<String, List<PlannedOutput>> byKey = new LinkedHashMap<>();
    for (PlannedOutput planned : batch) {
      String key = planned.contentKey() != null ? planned.contentKey()
          : forms.of(planned.target()).contentKey(planned.target());
      keys.put(planned.target(), key);
      byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(planned);
    }
    List<Outcome> outcomes = new ArrayList<>(batch.size());
    List<Target> todo = new ArrayList<>();
    for (Map.Entry<String, List<PlannedOutput>> group : byKey.entrySet()) {
      Outcome reused = reuseSharedFile(group.getKey(), group.getValue(), counters);
      if (reused == null) {
        todo.add(group.getValue().get(0).target());
        continue;
      }
      for (PlannedOutput member : group.getValue()) {
        boolean current = member.previous() != null && member.previous().reusableFor(member.target());
        outcomes.add(new Outcome(member.target(), current ? Outcome.Status.SKIPPED : Outcome.Status.OK,
            reused.files(), reused.tableSha256(), reused.tableDevices(), reused.gpu(), null));
        if (!current) {
          counters.tableDone();
        }
      }
    }
    if (!todo.isEmpty()) {
      hooks.taskStarted();
      for (Outcome written : writeAll(todo, counters)) {
        List<PlannedOutput> members = byKey.get(keys.get(written.target()));
        for (PlannedOutput member : members.subList(1, members.size())) {
          if (written.status() == Outcome.Status.ERROR) {
            outcomes.add(Outcome.failed(member.target(), written.error()));
          } else {
            outcomes.add(new Outcome(member.target(), Outcome.Status.OK, written.files(), written.tableSha256(),
                written.tableDevices(), written.gpu(), null));
            counters.tableDone();
          }
        }
        outcomes.add(written);
      }
    }
    return outcomes;
  }

  /** The outcome of a table file an earlier row of one of {@code members} lists and that still checks, or null. */
  private Outcome reuseSharedFile(String key, List<PlannedOutput> members, WriteCounters counters) {
    String path = OutputPaths.tableFile(key);
    for (PlannedOutput member : members) {
      Manifest.Row row = member.previous();
      boolean listsTheFile = row != null && row.files().size() == 1 && row.files().get(0).path().equals(path)
          && (row.status() == Outcome.Status.OK || row.status() == Outcome.Status.SKIPPED)
          && row.tableSha256().size() == member.target().layers().size();
      if (listsTheFile) {
        // The content key names the bytes; any row that lists the file tells its size and checksum.
        Outcome reused = reuse(member.target(), row, counters, false);
        if (reused != null) {
          return reused;
        }
      }
    }
    return null;
  }
  /**
   * Commits this task's journal fragment: what it completed, so that a run started after the driver dies reuses
   * it. Without a fragment the outputs are still correct, only not resumable, so a failure here is logged.
   */
  private void journal(List<Outcome> outcomes) {
    List<Outcome> complete = outcomes.stream().filter(o -> o.status() != Outcome.Status.ERROR).toList();
    if (complete.isEmpty()) {
      return;
    }
    TaskContext task = TaskContext.get();
    Path fragment = Journal.fragment(new Path(outRoot), runId, task == null ? 0 : task.partitionId(),
        task == null ? 0 : task.attemptNumber());
    try {
      Journal.commit(conf.fileSystem(fragment), fragment, complete);
    } catch (IOException | RuntimeException e) {
      LOG.warn("Cannot write journal fragment {}; its outputs are complete but a run that resumes after a failure"
          + " of this one writes them again: {}", fragment, Problem.describe(e));
    }
  }

  private Outcome reuse(Target target, Manifest.Row line, WriteCounters counters) {
    return reuse(target, line, counters, true);
  }

  /** The earlier outcome of {@code line}, if its files still check; {@code ownRow}: the line is the target's. */
  private Outcome reuse(Target target, Manifest.Row line, WriteCounters counters, boolean ownRow) {
    if (line == null || ownRow && !line.reusableFor(target)) {
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
    counters.addReused(line.files().stream().mapToLong(Outcome.OutputFile::bytes).sum());
    return new Outcome(target, Outcome.Status.SKIPPED, line.files(), line.tableSha256(), line.tableDevices(),
        line.gpu(), null);
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

  private List<Outcome> writeAll(List<Target> targets, WriteCounters counters) {
    AtomicOutput[] outputs = new AtomicOutput[targets.size()];
    try {
      return writeAll(targets, counters, outputs);
    } catch (Throwable e) {
      // The task dies (killed by Spark, out of memory, a fault): no temporary file may outlive it, and its
      // retry writes every file afresh.
      for (int t = 0; t < outputs.length; t++) {
        close(outputs, t);
      }
      throw e;
    }
  }

  private List<Outcome> writeAll(List<Target> targets, WriteCounters counters, AtomicOutput[] outputs) {
    return new GroupWrite(targets, counters, outputs).run();
  }

  /**
   * One group's write: every table of the group's spec computed once, for the longest context length, and
   * streamed to the file of every target, in every form (layout, dtype) the targets have. With one form the rows
   * come from that form's writing; with several, from the source rows ({@link TableForms}), each chunk decoded
   * once and stored in each form.
   */
  private final class GroupWrite {
    private final List<Target> targets;
    private final WriteCounters counters;
    private final AtomicOutput[] outputs;
    private final int n;
    private final Problem[] problems;
    /** The targets' indexes by form, in the order of the run's forms. */
    private final Map<Encoding, List<Integer>> byForm = new LinkedHashMap<>();
    /** Per layer, per form, the SHA-256 of the layer's tensors of each distinct length. */
    private final List<Map<Encoding, Map<Long, MessageDigest>>> tableDigests =
        new ArrayList<>();
    private final List<String> tableDevices = new ArrayList<>();
    private long maxLength;
    private long taskBytes;

    GroupWrite(List<Target> targets, WriteCounters counters, AtomicOutput[] outputs) {
      this.targets = targets;
      this.counters = counters;
      this.outputs = outputs;
      this.n = targets.size();
      this.problems = new Problem[n];
      for (Encoding form : forms.encodings()) {
        for (int t = 0; t < n; t++) {
          if (forms.encodingOf(targets.get(t)).equals(form)) {
            byForm.computeIfAbsent(form, f -> new ArrayList<>()).add(t);
          }
        }
      }
      for (Target target : targets) {
        maxLength = Math.max(maxLength, target.contextLength());
      }
    }

    List<Outcome> run() {
      // The targets share one table key, so the first one's layers compute every table of the group.
      List<LayerRope> spec = targets.get(0).layers();
      String gpuAddress = TaskGpu.address();
      CudaDevice gpu = TaskGpu.open(gpuAddress);
      try {
        for (int t = 0; t < n && writeFiles; t++) {
          try {
            Target target = targets.get(t);
            Path path = new Path(outRoot, relativePath(target));
            outputs[t] = AtomicOutput.create(conf.fileSystem(path), path);
            TableWriting form = forms.of(target);
            outputs[t].write(shared ? form.sharedHeader(target) : form.header(target));
          } catch (IOException | RuntimeException e) {
            problems[t] = writeProblem(e);
            close(outputs, t);
          }
        }
        for (int layer = 0; layer < spec.size(); layer++) {
          LayerRope layerSpec = spec.get(layer);
          Map<Encoding, Map<Long, MessageDigest>> digests = new HashMap<>();
          for (Map.Entry<Encoding, List<Integer>> form : byForm.entrySet()) {
            Map<Long, MessageDigest> byLength = new TreeMap<>();
            for (int t : form.getValue()) {
              byLength.computeIfAbsent(targets.get(t).contextLength(), length -> Sha256.newDigest());
            }
            digests.put(form.getKey(), byLength);
          }
          tableDigests.add(digests);
          for (int t = 0; t < n; t++) {
            if (outputs[t] != null) {
              try {
                // per target: the mrope axis map is not part of the table key, so files of one group may differ
                outputs[t].write(forms.of(targets.get(t)).layerPrefix(targets.get(t).layers().get(layer)));
              } catch (IOException | RuntimeException e) {
                problems[t] = writeProblem(e);
                close(outputs, t);
              }
            }
          }
          counters.tableComputed();
          Set<String> devices = new LinkedHashSet<>();
          if (forms.several()) {
            writeLayerOnce(layerSpec, digests, gpu, devices);
          } else {
            writeLayer(layerSpec, digests, gpu, devices);
          }
          tableDevices.add(String.join("+", devices));
        }
      } catch (RuntimeException | IOException e) {
        // The table itself could not be computed: no file of this group can be right.
        for (int t = 0; t < n; t++) {
          if (problems[t] == null) {
            problems[t] = Problem.of("table", null, "Cannot compute table", e);
          }
          close(outputs, t);
        }
      }
      return outcomes(gpuAddress);
    }

    /** One form: its own rows, part after part. */
    private void writeLayer(LayerRope layerSpec, Map<Encoding, Map<Long, MessageDigest>>
        digests, CudaDevice gpu, Set<String> devices) {
      Encoding form = byForm.keySet().iterator().next();
      TableWriting tables = forms.of(form);
      int rowBytes = tables.rowBytes(layerSpec);
      byte[] buffer = buffer(rowBytes);
      for (int p = 0; p < tables.parts(); p++) {
        int part = p;
        try (TableWriting.Rows rows = new FallbackRows(gpu == null ? null : () -> tables.rows(layerSpec, part, gpu),
            () -> tables.rows(layerSpec, part))) {
          int chunkRows = Math.max(1, (rows.device().equals("cpu") ? buffer.length : GPU_CHUNK_BYTES) / rowBytes);
          for (long from = 0; from < maxLength; from += chunkRows) {
            long to = Math.min(maxLength, from + chunkRows);
            // On a GPU the chunk stays in its pinned host memory on its way to the digests and the files.
            emit(form, digests.get(form), rows.view(from, to, rowBytes, buffer), from, to, rowBytes);
            hooks.chunkWritten(taskBytes);
          }
          devices.addAll(List.of(rows.device().split("\\+")));
        }
      }
    }

    /**
     * Several forms: the source rows of each chunk computed once, decoded once, stored in each form. Forms of one
     * tensor holding both halves (vllm, pairs) need both halves of every row; forms of a cos and a sin tensor
     * need all cos rows before any sin row. With both kinds, one pass computes both halves, writes what can be
     * written and keeps the chunks on local disk for the sin tensors, which are written from them after.
     */
    private void writeLayerOnce(LayerRope layerSpec,
        Map<Encoding, Map<Long, MessageDigest>> digests, CudaDevice gpu,
        Set<String> devices) throws IOException {
      boolean both = byForm.keySet().stream().anyMatch(f -> f.layout().parts().size() == 1);
      boolean twoParts = byForm.keySet().stream().anyMatch(f -> f.layout().parts().size() == 2);
      TableWriting source = both ? forms.sourceBoth() : forms.sourceParts();
      int sourceRowBytes = source.rowBytes(layerSpec);
      int widest = sourceRowBytes;
      for (Encoding form : byForm.keySet()) {
        widest = Math.max(widest, forms.of(form).rowBytes(layerSpec));
      }
      byte[] buffer = buffer(widest);
      int chunkRows = Math.max(1, buffer.length / widest);
      int half = layerSpec.rotaryDim() / 2;
      double[] cos = new double[chunkRows * half];
      double[] sin = new double[chunkRows * half];
      byte[] formBuffer = new byte[chunkRows * widest];
      try (KeptRows kept = both && twoParts ? new KeptRows(maxLength * sourceRowBytes) : null) {
        for (int pass = 0; pass < (both ? 1 : 2); pass++) {
          int part = pass;
          try (TableWriting.Rows rows = new FallbackRows(
              gpu == null ? null : () -> source.rows(layerSpec, part, gpu), () -> source.rows(layerSpec, part))) {
            for (long from = 0; from < maxLength; from += chunkRows) {
              long to = Math.min(maxLength, from + chunkRows);
              int count = (int) (to - from);
              // Decoding reads an array, so here GPU rows are copied into one (the pageable copy, which on one
              // thread beats the pinned copy plus a copy out of it).
              rows.fill(from, to, buffer);
              if (kept != null) {
                kept.add(buffer, count * sourceRowBytes);
              }
              source.decode(layerSpec, buffer, count, both, both || part == 0 ? cos : sin, sin);
              for (Encoding form : byForm.keySet()) {
                // Without both halves, pass 0 is every form's cos tensor and pass 1 its sin tensor.
                int formPart = both ? 0 : part;
                encodeAndEmit(form, layerSpec, formPart, cos, sin, count, formBuffer, digests, from, to);
              }
              hooks.chunkWritten(taskBytes);
            }
            devices.addAll(List.of(rows.device().split("\\+")));
          }
        }
        if (kept != null) {
          kept.rewind();
          for (long from = 0; from < maxLength; from += chunkRows) {
            long to = Math.min(maxLength, from + chunkRows);
            int count = (int) (to - from);
            kept.next(buffer, count * sourceRowBytes);
            source.decode(layerSpec, buffer, count, true, cos, sin);
            for (Encoding form : byForm.keySet()) {
              if (form.layout().parts().size() == 2) {
                encodeAndEmit(form, layerSpec, 1, cos, sin, count, formBuffer, digests, from, to);
              }
            }
            hooks.chunkWritten(taskBytes);
          }
        }
      }
    }

    private void encodeAndEmit(Encoding form, LayerRope layerSpec, int part,
        double[] cos, double[] sin, int count, byte[] formBuffer,
        Map<Encoding, Map<Long, MessageDigest>> digests, long from, long to) {
      TableWriting tables = forms.of(form);
      tables.encode(layerSpec, part, cos, sin, count, formBuffer);
      emit(form, digests.get(form), ByteBuffer.wrap(formBuffer), from, to, tables.rowBytes(layerSpec));
    }

    /** The task thread's buffer, grown to hold at least one row of {@code rowBytes}. */
    private byte[] buffer(int rowBytes) {
      byte[] buffer = BUFFER.get();
      if (rowBytes > buffer.length) {
        buffer = new byte[rowBytes];
        BUFFER.set(buffer);
      }
      return buffer;
    }

    /**
     * Rows [from, to) of one tensor of {@code form}, from position 0 of {@code chunk}, to its digests and to the
     * file of each of its targets.
     */
    private void emit(Encoding form, Map<Long, MessageDigest> digests, ByteBuffer chunk,
        long from, long to, int rowBytes) {
      for (Map.Entry<Long, MessageDigest> d : digests.entrySet()) {
        if (d.getKey() > from) {
          d.getValue().update(chunk.slice(0, (int) ((Math.min(to, d.getKey()) - from) * rowBytes)));
        }
      }
      for (int t : byForm.get(form)) {
        long length = targets.get(t).contextLength();
        if (outputs[t] == null || length <= from) {
          continue;
        }
        int bytes = (int) ((Math.min(to, length) - from) * rowBytes);
        try {
          outputs[t].write(chunk.slice(0, bytes));
          counters.addBytes(bytes);
          taskBytes += bytes;
        } catch (IOException | RuntimeException e) {
          problems[t] = writeProblem(e);
          close(outputs, t);
        }
      }
    }

    private List<Outcome> outcomes(String gpuAddress) {
      List<Outcome> outcomes = new ArrayList<>(n);
      for (int t = 0; t < n; t++) {
        Target target = targets.get(t);
        TableWriting form = forms.of(target);
        List<Outcome.OutputFile> files = new ArrayList<>();
        if (problems[t] == null && outputs[t] != null) {
          try {
            long expected = shared ? form.sharedFileSize(target) : form.fileSize(target);
            if (outputs[t].bytes() != expected) {
              throw new IllegalStateException(
                  "wrote " + outputs[t].bytes() + " bytes where the file layout has " + expected);
            }
            AtomicOutput.Written written = outputs[t].commit();
            files.add(new Outcome.OutputFile(relativePath(target), written.bytes(), written.sha256()));
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
        for (Map<Encoding, Map<Long, MessageDigest>> digests : tableDigests) {
          shas.add(Sha256.hexSoFar(digests.get(forms.encodingOf(target)).get(target.contextLength())));
        }
        counters.tableDone();
        outcomes.add(new Outcome(target, Outcome.Status.OK, files, shas, tableDevices, gpuAddress, null));
      }
      return outcomes;
    }
  }

  /**
   * The source rows of one layer, kept in order from the pass that computed them for the pass that writes the
   * sin tensors: in memory up to {@link #KEPT_IN_MEMORY} bytes, beyond that in a temporary local file, deleted
   * on close.
   */
  static final class KeptRows implements AutoCloseable {
    /** Source rows of a layer up to this size stay in memory (a 32K-row, rotary dim 128 double table is 32 MiB). */
    static final long KEPT_IN_MEMORY = 64L << 20;

    private final byte[] memory;
    private final java.nio.file.Path file;
    private final FileChannel channel;
    private long position;

    KeptRows(long bytes) throws IOException {
      if (bytes <= KEPT_IN_MEMORY) {
        memory = new byte[(int) bytes];
        file = null;
        channel = null;
      } else {
        memory = null;
        file = Files.createTempFile("ropeforge-rows", ".bin");
        channel = FileChannel.open(file, StandardOpenOption.READ,
            StandardOpenOption.WRITE);
      }
    }

    void add(byte[] bytes, int count) throws IOException {
      if (memory != null) {
        System.arraycopy(bytes, 0, memory, (int) position, count);
      } else {
        ByteBuffer from = ByteBuffer.wrap(bytes, 0, count);
        while (from.hasRemaining()) {
          channel.write(from, position + from.position());
        }
      }
      position += count;
    }

    void rewind() {
      position = 0;
    }

    void next(byte[] into, int count) throws IOException {
      if (memory != null) {
        System.arraycopy(memory, (int) position, into, 0, count);
      } else {
        ByteBuffer to = ByteBuffer.wrap(into, 0, count);
        while (to.hasRemaining()) {
          if (channel.read(to, position + to.position()) < 0) {
            throw new IOException("Rows kept in " + file + " end at byte " + (position + to.position()));
          }
        }
      }
      position += count;
    }

    @Override
    public void close() throws IOException {
      if (channel != null) {
        try {
          channel.close();
        } finally {
          Files.deleteIfExists(file);
        }
      }
    }
  }

  /** Where {@code target}'s file goes below the output root, in this writer's store. */
  private String relativePath(Target target) {
    return shared ? OutputPaths.tableFile(keys.get(target))
        : OutputPaths.safetensors(target.modelId(), target.contextLength(), target.encodingName());
  }

  private static Problem writeProblem(Exception e) {
    return Problem.of("output", null, "Cannot write output", e);
  }

  private static void close(AtomicOutput[] outputs, int t) {
    if (outputs[t] != null) {
      outputs[t].abort();
      outputs[t] = null;
    }
  }
}
