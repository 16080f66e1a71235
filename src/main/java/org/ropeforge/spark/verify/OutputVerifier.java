package org.ropeforge.spark.verify;

import java.io.BufferedReader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.ropeforge.core.table.RopeTable;
import org.ropeforge.format.RopeTableFile;
import org.ropeforge.format.Safetensors;
import org.ropeforge.format.SafetensorsFormatException;
import org.ropeforge.io.HadoopConf;
import org.ropeforge.io.Sha256;
import org.ropeforge.spark.output.CompletionMarker;
import org.ropeforge.spark.output.Manifest;
import org.ropeforge.spark.output.Outcome;
import org.ropeforge.spark.output.OutputPaths;
import org.ropeforge.spark.plan.Encoding;
import org.ropeforge.spark.plan.Normalizer;
import org.ropeforge.spark.plan.OutputSettings;
import org.ropeforge.spark.plan.Problem;
import org.ropeforge.spark.plan.Target;
import org.ropeforge.spark.write.SafetensorsTables;

/**
 * Checks a finished output root against its manifest. Each ok or skipped row is re-derived the way the job
 * derived it: its config is read again and resolved with the run's settings (from the completion marker), which
 * gives the exact header the job writes and every table row. Against that, each file's size and SHA-256 (also
 * the manifest's per-layer table digests), its parsed header (metadata key by key, tensor shapes and offsets),
 * its inv_freq bytes and a sample of table rows (first, last and a few seeded random ones per tensor) must
 * agree byte for byte. Re-deriving from the config rather than from the file's own float32 inv_freq is what
 * makes the rows checkable exactly in every precision, and what catches a file whose metadata and data were
 * edited together and re-encoded consistently.
 */
public final class OutputVerifier {
  /** Random rows checked per table tensor, besides the first and the last. */
  static final int RANDOM_ROWS = 3;

  private static final int READ_BYTES = 4 << 20;

  private final HadoopConf conf;
  private final Path out;
  private final List<String> problems = new ArrayList<>();
  /** Table files of the content-addressed store already checked: many rows point to one file. */
  private final Set<String> checkedFiles = new java.util.HashSet<>();
  private boolean shared;
  private long files;

  public OutputVerifier(HadoopConf conf, Path out) {
    this.conf = conf;
    this.out = out;
  }

  /** Problems found, each naming the file or path it concerns. */
  public List<String> problems() {
    return problems;
  }

  public long filesChecked() {
    return files;
  }

  public void verify() throws IOException {
    FileSystem fs = conf.fileSystem(out);
    Path markerPath = new Path(out, OutputPaths.COMPLETE_MARKER);
    Path manifestPath = new Path(out, OutputPaths.MANIFEST);
    CompletionMarker marker;
    OutputSettings settings;
    try {
      marker = CompletionMarker.parse(new String(readSmall(fs, markerPath), StandardCharsets.UTF_8));
      settings = marker.settings();
    } catch (FileNotFoundException e) {
      problems.add(markerPath + ": missing; the run did not complete");
      return;
    } catch (IllegalArgumentException e) {
      problems.add(markerPath + ": " + e.getMessage());
      return;
    }
    Map<String, SafetensorsTables> tables = new LinkedHashMap<>();
    for (Encoding encoding : settings.encodings()) {
      tables.put(settings.severalEncodings() ? encoding.name() : null, new SafetensorsTables(encoding.layout(),
          encoding.dtype(), settings.precision(), settings.semantics()));
    }
    // Context lengths come from each row; the run's own defaults play no part in re-deriving one.
    Normalizer normalizer = new Normalizer(conf, settings, List.of());
    shared = settings.contentAddressed();
    long rows = 0;
    long[] counts = new long[Outcome.Status.values().length];
    // Line by line: a manifest of a large catalog runs to millions of rows.
    try (BufferedReader in = new BufferedReader(
        new InputStreamReader(fs.open(manifestPath), StandardCharsets.UTF_8))) {
      for (String text; (text = in.readLine()) != null; ) {
        if (text.isEmpty()) {
          continue;
        }
        rows++;
        Manifest.Row row = Manifest.parse(text);
        if (row.status() != null) {
          counts[row.status().ordinal()]++;
        }
        forms.see(row, tables.keySet());
        if (row.status() != Outcome.Status.ERROR) {
          verifyRow(fs, row, normalizer, tables, settings);
        }
      }
      forms.see(null, tables.keySet());
    } catch (FileNotFoundException e) {
      problems.add(manifestPath + ": missing");
      return;
    }
    long[] expected = {marker.ok(), marker.skipped(), marker.errors()};
    if (rows != marker.rows() || !Arrays.equals(counts, expected)) {
      problems.add(manifestPath + ": has " + rows + " rows (" + counts[0] + " ok, " + counts[1] + " skipped, "
          + counts[2] + " errors), the completion marker says " + marker.rows() + " ("
          + expected[0] + " ok, " + expected[1] + " skipped, " + expected[2] + " errors)");
    }
  }

  /**
   * The forms (layout, dtype) listed for each (model, length), whose rows follow one another in the manifest:
   * an output complete in some of the run's forms and missing in others is a problem.
   */
  private final class FormsSeen {
    private String key;
    private long length;
    private String modelId;
    private final Set<String> seen = new TreeSet<>();

    void see(Manifest.Row row, Set<String> all) {
      String next = row == null ? null : Manifest.key(row.modelId(), row.contextLength());
      if (key != null && !key.equals(next)) {
        Set<String> missing = new TreeSet<>();
        for (String form : all) {
          if (form != null && !seen.contains(form)) {
            missing.add(form);
          }
        }
        if (!missing.isEmpty()) {
          problems.add(new Path(out, OutputPaths.MANIFEST) + ": '" + modelId + "' at " + length + " has rows of "
              + seen + " but none of " + missing);
        }
        seen.clear();
      }
      if (row != null) {
        key = next;
        modelId = row.modelId();
        length = row.contextLength();
        if (row.encoding() != null) {
          seen.add(row.encoding());
        }
      }
    }
  }

  private final FormsSeen forms = new FormsSeen();

  private static Encoding encodingOf(OutputSettings settings, String name) {
    return settings.encodings().stream().filter(e -> e.name().equals(name)).findFirst().orElseThrow();
  }

  private void verifyRow(FileSystem fs, Manifest.Row row, Normalizer normalizer,
      Map<String, SafetensorsTables> allTables, OutputSettings settings) {
    String modelId = row.modelId();
    long length = row.contextLength();
    if (!allTables.containsKey(row.encoding())) {
      problems.add(new Path(out, OutputPaths.MANIFEST) + ": the row of '" + modelId + "' at " + length
          + (row.encoding() == null ? " names no layout and dtype" : " is of " + row.encoding())
          + (settings.severalEncodings() ? ", not one of the run's " + allTables.keySet()
              : ", but the run wrote only " + settings.onlyEncoding() + " and its rows name none"));
      return;
    }
    SafetensorsTables tables = allTables.get(row.encoding());
    if (row.files().isEmpty()) {
      return; // safetensors not among the formats: nothing on disk belongs to this row alone
    }
    Outcome.OutputFile file = row.files().get(0);
    String relative = file.path();
    Path path = new Path(out, relative);
    // Many rows point to one table file of the content-addressed store: its bytes are checked once.
    boolean again = shared && !checkedFiles.add(relative + " " + file.sha256() + " " + row.tableSha256());
    if (!again) {
      files++;
    }
    Target target = row.encoding() == null ? normalizer.rederive(modelId, row.config(), length)
        : normalizer.rederive(modelId, row.config(), length, encodingOf(settings, row.encoding()));
    String expectedPath = !shared ? OutputPaths.safetensors(modelId, length, row.encoding())
        : target.ok() ? OutputPaths.tableFile(tables.contentKey(target)) : relative;
    if (row.files().size() != 1 || !relative.equals(expectedPath)) {
      problems.add(path + ": the manifest row of '" + modelId + "' at " + length + " should list only "
          + expectedPath);
      return;
    }
    if (!target.ok()) {
      problems.add(path + ": cannot re-derive it, its config no longer resolves: " + target.error().message());
      return;
    }
    if (!target.configSha256().equals(row.configSha256())) {
      problems.add(path + ": cannot re-derive it, config " + target.configUri() + " has SHA-256 "
          + target.configSha256() + " but the manifest says " + row.configSha256());
      return;
    }
    if (!target.inputSha256().equals(row.inputSha256())) {
      problems.add(path + ": manifest input_sha256 " + row.inputSha256()
          + " does not match the run's options, config and version (" + target.inputSha256() + ")");
    }
    if (again) {
      return; // the same file, with the same recorded checksums, was checked for an earlier row
    }
    List<String> found = new ArrayList<>();
    try {
      checkFile(fs, path, row, file, shared ? tables.planShared(target) : tables.plan(target), found);
    } catch (FileNotFoundException e) {
      found.add("missing");
    } catch (SafetensorsFormatException e) {
      found.add("not a valid safetensors file: " + e.getMessage());
    } catch (IOException | RuntimeException e) {
      found.add("cannot be read: " + Problem.describe(e));
    }
    for (String problem : found) {
      problems.add(path + ": " + problem);
    }
  }

  private void checkFile(FileSystem fs, Path path, Manifest.Row row, Outcome.OutputFile file, RopeTableFile plan,
      List<String> found) throws IOException {
    long size = fs.getFileStatus(path).getLen();
    long recorded = file.bytes();
    if (size != recorded) {
      found.add("has " + size + " bytes, the manifest says " + recorded);
    }
    if (size != plan.fileSize()) {
      found.add("has " + size + " bytes, its layout has " + plan.fileSize());
    }
    try (FSDataInputStream in = fs.open(path)) {
      Safetensors.Header header = Safetensors.read(new Channel(in, size), path.toString());
      Safetensors.Header expected = plan.header();
      compareHeaders(header, expected, found);
      if (found.isEmpty() && !Arrays.equals(readAt(in, 0, (int) expected.dataStart()), expected.encode())) {
        found.add("header bytes differ from the job's encoding of the same header");
      }
      checkDigests(in, size, row, file, header, found);
      if (found.isEmpty()) {
        checkRows(in, path, header, plan, found);
      }
    }
  }

  private static void compareHeaders(Safetensors.Header actual, Safetensors.Header expected, List<String> found) {
    Set<String> keys = new LinkedHashSet<>(expected.metadata().keySet());
    keys.addAll(actual.metadata().keySet());
    for (String key : keys) {
      String a = actual.metadata().get(key);
      String e = expected.metadata().get(key);
      if (a == null || e == null || !a.equals(e)) {
        found.add("metadata '" + key + "' is " + quoted(a) + ", expected " + quoted(e));
      }
    }
    List<Safetensors.TensorInfo> a = actual.tensors();
    List<Safetensors.TensorInfo> e = expected.tensors();
    for (int i = 0; i < Math.max(a.size(), e.size()); i++) {
      Safetensors.TensorInfo at = i < a.size() ? a.get(i) : null;
      Safetensors.TensorInfo et = i < e.size() ? e.get(i) : null;
      if (at == null || et == null || !at.equals(et)) {
        found.add("tensor " + (i + 1) + " is " + at + ", expected " + et);
      }
    }
  }

  private static String quoted(String s) {
    return s == null ? "absent" : "'" + s + "'";
  }

  /** One pass over the file: its SHA-256 and, per layer, the SHA-256 of that layer's table tensors. */
  private static void checkDigests(FSDataInputStream in, long size, Manifest.Row row, Outcome.OutputFile file,
      Safetensors.Header header, List<String> found) throws IOException {
    List<long[]> layerRanges = new ArrayList<>();
    for (Safetensors.TensorInfo t : header.tensors()) {
      boolean inv = t.name().endsWith("inv_freq");
      if (inv) {
        layerRanges.add(new long[] {Long.MAX_VALUE, Long.MIN_VALUE});
      } else if (!layerRanges.isEmpty() && !RopeTableFile.isAxisTensor(t.name())) {
        long[] range = layerRanges.get(layerRanges.size() - 1);
        range[0] = Math.min(range[0], header.fileOffset(t, 0));
        range[1] = Math.max(range[1], header.fileOffset(t, t.byteLength()));
      }
    }
    MessageDigest whole = Sha256.newDigest();
    List<MessageDigest> layers = new ArrayList<>();
    for (int i = 0; i < layerRanges.size(); i++) {
      layers.add(Sha256.newDigest());
    }
    byte[] buffer = new byte[READ_BYTES];
    in.seek(0);
    long position = 0;
    for (int n; (n = in.read(buffer)) > 0; position += n) {
      whole.update(buffer, 0, n);
      for (int l = 0; l < layerRanges.size(); l++) {
        long from = Math.max(position, layerRanges.get(l)[0]);
        long to = Math.min(position + n, layerRanges.get(l)[1]);
        if (from < to) {
          layers.get(l).update(buffer, (int) (from - position), (int) (to - from));
        }
      }
    }
    String sha = Sha256.hex(whole);
    if (!sha.equals(file.sha256())) {
      found.add("SHA-256 is " + sha + ", the manifest says " + file.sha256());
    }
    List<String> tables = row.tableSha256();
    if (tables.size() != layers.size()) {
      found.add("has " + layers.size() + " layer types, the manifest lists " + tables.size() + " table digests");
      return;
    }
    for (int l = 0; l < layers.size(); l++) {
      String layerSha = Sha256.hex(layers.get(l));
      if (!layerSha.equals(tables.get(l))) {
        found.add("table of layer " + (l + 1) + " has SHA-256 " + layerSha + ", the manifest says "
            + tables.get(l));
      }
    }
  }

  /** inv_freq exactly, and sampled rows of every table tensor recomputed from the re-derived parameters. */
  private static void checkRows(FSDataInputStream in, Path path, Safetensors.Header header, RopeTableFile plan,
      List<String> found) throws IOException {
    Random random = new Random(path.toString().hashCode());
    for (RopeTableFile.Entry entry : plan.entries()) {
      Safetensors.TensorInfo info = entry.info();
      if (!entry.isTable()) {
        byte[] actual = readAt(in, header.fileOffset(info, 0), (int) info.byteLength());
        ByteBuffer expected = entry.isAxis() ? ByteBuffer.wrap(entry.layer().mropeAxis())
            : RopeTableFile.invFreqBytes(entry.layer());
        if (!ByteBuffer.wrap(actual).equals(expected)) {
          found.add("tensor " + info.name() + " differs from the re-derived "
              + (entry.isAxis() ? "axis map" : "frequencies"));
        }
        continue;
      }
      RopeTable table = RopeTable.of(entry.layer(), plan.options());
      int rowBytes = (int) entry.rowBytes();
      ByteBuffer expected = ByteBuffer.allocate(rowBytes).order(ByteOrder.LITTLE_ENDIAN);
      TreeSet<Long> rows = new TreeSet<>(List.of(0L, entry.rows() - 1));
      for (int i = 0; i < RANDOM_ROWS; i++) {
        rows.add((long) (random.nextDouble() * entry.rows()));
      }
      for (long r : rows) {
        expected.clear();
        table.fill(entry.part(), r, r + 1, expected);
        byte[] actual = readAt(in, header.fileOffset(info, r * rowBytes), rowBytes);
        if (!Arrays.equals(actual, expected.array())) {
          found.add("tensor " + info.name() + " row " + r + " differs from the recomputed row");
        }
      }
    }
  }

  private static byte[] readAt(FSDataInputStream in, long position, int length) throws IOException {
    byte[] bytes = new byte[length];
    in.readFully(position, bytes);
    return bytes;
  }

  private static byte[] readSmall(FileSystem fs, Path path) throws IOException {
    try (InputStream in = fs.open(path)) {
      byte[] bytes = in.readNBytes(1 << 20);
      if (in.read() >= 0) {
        throw new IOException(path + " is larger than 1 MiB");
      }
      return bytes;
    }
  }

  /** The header reader's view of a Hadoop stream: positioned reads only. */
  private static final class Channel implements SeekableByteChannel {
    private final FSDataInputStream in;
    private final long size;
    private long position;

    Channel(FSDataInputStream in, long size) {
      this.in = in;
      this.size = size;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      if (position >= size) {
        return -1;
      }
      int n = (int) Math.min(dst.remaining(), size - position);
      byte[] bytes = new byte[n];
      in.readFully(position, bytes);
      dst.put(bytes);
      position += n;
      return n;
    }

    @Override
    public int write(ByteBuffer src) {
      throw new java.nio.channels.NonWritableChannelException();
    }

    @Override
    public long position() {
      return position;
    }

    @Override
    public SeekableByteChannel position(long newPosition) {
      position = newPosition;
      return this;
    }

    @Override
    public long size() {
      return size;
    }

    @Override
    public SeekableByteChannel truncate(long newSize) {
      throw new java.nio.channels.NonWritableChannelException();
    }

    @Override
    public boolean isOpen() {
      return true;
    }

    @Override
    public void close() {}
  }
}
