package org.ropeforge.spark.catalog;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.RemoteIterator;
import org.ropeforge.config.CatalogEntry;
import org.ropeforge.config.CatalogManifest;
import org.ropeforge.format.GgufConfig;
import org.ropeforge.format.GgufSplit;
import org.ropeforge.io.HadoopConf;

/**
 * Lists a catalog on the driver through the Hadoop FileSystem API without reading any config: either a folder
 * tree, where every {@code config.json} below the root is a model whose id is its parent folder relative to the
 * root, or a manifest in {@link CatalogManifest}'s grammar, whose relative config paths are relative to the
 * manifest's folder.
 */
public final class CatalogReader {
  public static final String CONFIG_FILE = "config.json";

  private CatalogReader() {}

  /**
   * The entries in model-id order, each id once (later duplicates are broken entries), with config locations
   * as fully qualified URIs.
   */
  public static List<CatalogEntry> list(String catalog, HadoopConf conf) throws IOException {
    Path root = new Path(catalog);
    FileSystem fs = conf.fileSystem(root);
    FileStatus status = catalogStatus(fs, root, catalog);
    Path qualified = status.getPath();
    List<CatalogEntry> entries =
        status.isDirectory() ? listTree(fs, qualified) : readManifest(fs, qualified);
    return dropDuplicates(entries);
  }

  /** The catalog's file or folder, or an error naming the catalog as given when there is none. */
  private static FileStatus catalogStatus(FileSystem fs, Path root, String catalog) throws IOException {
    try {
      return fs.getFileStatus(root);
    } catch (java.io.FileNotFoundException e) {
      throw new IllegalArgumentException("Catalog " + catalog + " does not exist", e);
    }
  }

  /**
   * A part of a manifest read by one task: the bytes [{@code start}, {@code end}) of {@code manifest}, which
   * start a line, and the number of lines before them, so that its lines are numbered as in the whole file.
   */
  public record ManifestSplit(String manifest, long start, long end, long linesBefore) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /** An entry of a manifest and the number of its line, by which a model listed twice keeps its first entry. */
  public record Listed(long line, CatalogEntry entry) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /**
   * Where {@code catalog} is a manifest, its lines cut into about {@code minSplits} parts, more where a part would
   * exceed {@code maxBytesPerSplit}, for executors to read ({@link #read(ManifestSplit, HadoopConf)}); null where
   * it is a folder tree, which {@link #list} lists. The driver reads the manifest once to find the line starts
   * and keeps only the parts; entries are neither parsed nor kept here.
   */
  public static List<ManifestSplit> manifestSplits(String catalog, HadoopConf conf, int minSplits,
      long maxBytesPerSplit) throws IOException {
    Path root = new Path(catalog);
    FileSystem fs = conf.fileSystem(root);
    FileStatus status = catalogStatus(fs, root, catalog);
    if (status.isDirectory()) {
      return null;
    }
    String manifest = status.getPath().toString();
    long size = status.getLen();
    long perSplit = Math.max(1, Math.min(maxBytesPerSplit, (size + minSplits - 1) / Math.max(1, minSplits)));
    List<ManifestSplit> splits = new ArrayList<>();
    byte[] buffer = new byte[1 << 16];
    long position = 0;
    long start = 0;
    long lines = 0;
    long linesAtStart = 0;
    try (InputStream in = fs.open(status.getPath())) {
      for (int n; (n = in.read(buffer)) > 0; ) {
        for (int i = 0; i < n; i++) {
          if (buffer[i] == '\n') {
            lines++;
            long next = position + i + 1;
            if (next - start >= perSplit) {
              splits.add(new ManifestSplit(manifest, start, next, linesAtStart));
              start = next;
              linesAtStart = lines;
            }
          }
        }
        position += n;
      }
    }
    if (position > start || splits.isEmpty()) {
      splits.add(new ManifestSplit(manifest, start, position, linesAtStart));
    }
    return splits;
  }

  /**
   * The entries of one part of a manifest with the numbers of their lines, config locations resolved as
   * {@link #list} resolves them. Duplicate ids are left to the caller, which sees every part.
   */
  public static List<Listed> read(ManifestSplit split, HadoopConf conf) throws IOException {
    return read(split, conf, true);
  }

  /** As {@link #read(ManifestSplit, HadoopConf)}; {@code resolve} false leaves config locations as written. */
  public static List<Listed> read(ManifestSplit split, HadoopConf conf, boolean resolve) throws IOException {
    Path manifest = new Path(split.manifest());
    Path folder = manifest.getParent();
    FileSystem fs = conf.fileSystem(manifest);
    List<Listed> entries = new ArrayList<>();
    try (org.apache.hadoop.fs.FSDataInputStream in = fs.open(manifest)) {
      in.seek(split.start());
      CatalogManifest.read(new Bounded(in, split.end() - split.start()), manifest.getName(), split.linesBefore(),
          (line, entry) -> entries.add(new Listed(line, entry.config() == null || !resolve ? entry
              : entry.withConfig(resolve(entry.config(), folder)))));
    }
    return entries;
  }

  /**
   * The error entry of a later entry of a model the catalog lists more than once: the ignored config is the
   * error's value, so that its error row names it.
   */
  public static CatalogEntry duplicate(CatalogEntry entry) {
    return CatalogEntry.broken(entry.modelId(), entry.config(), "catalog", entry.config(),
        "Catalog lists model '" + entry.modelId() + "' more than once; " + entry.config() + " ignored");
  }

  /** The first {@code limit} bytes of a stream. */
  private static final class Bounded extends java.io.FilterInputStream {
    private long left;

    Bounded(InputStream in, long limit) {
      super(in);
      this.left = limit;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int b = super.read();
      if (b >= 0) {
        left--;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = super.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = super.skip(Math.min(n, left));
      left -= skipped;
      return skipped;
    }

    @Override
    public int available() throws IOException {
      return (int) Math.min(super.available(), left);
    }

    @Override
    public boolean markSupported() {
      return false;
    }
  }

  private static List<CatalogEntry> listTree(FileSystem fs, Path root) throws IOException {
    String rootText = withSlash(root.toUri().getPath());
    List<CatalogEntry> entries = new ArrayList<>();
    Set<String> firstShards = new HashSet<>();
    java.util.Map<String, String> laterShards = new java.util.TreeMap<>();
    for (FileStatus file : files(fs, root)) {
      Path path = file.getPath();
      if (file.isFile() && GgufConfig.isGguf(path.getName())) {
        // A GGUF file is a model of its own: its id is its path below the root without the extension. A split
        // is one model, named by its first shard: its id drops the -00001-of-0000N part, and the later shards
        // are read through the first.
        String full = path.toUri().getPath();
        String relative = full.startsWith(rootText) ? full.substring(rootText.length()) : full;
        GgufSplit.ShardName shard = GgufSplit.ShardName.parse(path.getName());
        String folder = relative.substring(0, relative.length() - path.getName().length());
        if (shard == null) {
          entries.add(CatalogEntry.of(relative.substring(0, relative.length() - GgufConfig.EXTENSION.length()),
              path.toString(), List.of()));
        } else if (shard.first()) {
          firstShards.add(path.toString());
          entries.add(CatalogEntry.of(folder + shard.stem(), path.toString(), List.of()));
        } else {
          laterShards.putIfAbsent(new Path(path.getParent(), shard.fileName(1)).toString(), folder + shard.stem());
        }
        continue;
      }
      if (!file.isFile() || !path.getName().equals(CONFIG_FILE)) {
        continue;
      }
      String parent = withSlash(path.getParent().toUri().getPath());
      // A config.json directly in the root gets the empty id, which the plan reports as an error row.
      String modelId = !parent.startsWith(rootText) ? parent
          : parent.length() == rootText.length() ? "" : parent.substring(rootText.length(), parent.length() - 1);
      entries.add(CatalogEntry.of(modelId, path.toString(), List.of()));
    }
    for (java.util.Map.Entry<String, String> orphan : laterShards.entrySet()) {
      if (!firstShards.contains(orphan.getKey())) {
        String first = new Path(orphan.getKey()).getName();
        entries.add(CatalogEntry.broken(orphan.getValue(), orphan.getKey(), "split", first, "model '"
            + orphan.getValue() + "': split shard 1, " + first + ", is missing beside its later shards"));
      }
    }
    return entries;
  }

  /**
   * Every file below {@code root}, depth first in listing order, as {@code listFiles(root, true)} gives them.
   * The local filesystem's folders are walked with {@code listStatus} instead: its {@code listFiles} builds a
   * LocatedFileStatus per file, copying permission and owner, which the local filesystem reads by starting a
   * process per file (1.2 to 1.7 s for 200 configs, against a few hundredths by the walk). Elsewhere
   * {@code listFiles} stays: object stores list a whole tree in a few requests.
   */
  private static List<FileStatus> files(FileSystem fs, Path root) throws IOException {
    List<FileStatus> files = new ArrayList<>();
    if (fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem) {
      walk(fs, root, files);
      return files;
    }
    RemoteIterator<LocatedFileStatus> listed = fs.listFiles(root, true);
    while (listed.hasNext()) {
      files.add(listed.next());
    }
    return files;
  }

  private static void walk(FileSystem fs, Path folder, List<FileStatus> files) throws IOException {
    for (FileStatus status : fs.listStatus(folder)) {
      if (status.isDirectory()) {
        walk(fs, status.getPath(), files);
      } else {
        files.add(status);
      }
    }
  }

  private static List<CatalogEntry> readManifest(FileSystem fs, Path manifest) throws IOException {
    Path folder = manifest.getParent();
    List<CatalogEntry> entries = new ArrayList<>();
    try (InputStream in = fs.open(manifest)) {
      CatalogManifest.read(in, manifest.getName(),
          entry -> entries.add(entry.config() == null ? entry : entry.withConfig(resolve(entry.config(), folder))));
    }
    return entries;
  }

  /** A bare absolute path stays on the manifest's filesystem; a relative one is below the manifest's folder. */
  static String resolve(String config, Path folder) {
    Path configPath = new Path(config);
    URI configUri = configPath.toUri();
    if (configUri.getScheme() == null) {
      URI folderUri = folder.toUri();
      configPath = configPath.isAbsolute()
          ? new Path(folderUri.getScheme(), folderUri.getAuthority(), configUri.getPath())
          : new Path(folder, config);
    }
    return configPath.toString();
  }

  private static List<CatalogEntry> dropDuplicates(List<CatalogEntry> entries) {
    List<CatalogEntry> sorted = new ArrayList<>(entries);
    sorted.sort(Comparator.comparing(CatalogEntry::modelId));
    Set<String> seen = new HashSet<>();
    List<CatalogEntry> result = new ArrayList<>(sorted.size());
    for (CatalogEntry entry : sorted) {
      if (entry.usable() && !seen.add(entry.modelId())) {
        result.add(duplicate(entry));
      } else {
        result.add(entry);
      }
    }
    return result;
  }

  private static String withSlash(String path) {
    return path.endsWith("/") ? path : path + "/";
  }
}
