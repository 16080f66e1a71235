package org.ropeforge.io;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.UUID;
import org.apache.hadoop.fs.CommonPathCapabilities;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * An output file that readers see only once it is complete, with its size and SHA-256 taken on the way.
 *
 * <p>On a filesystem the bytes go to a hidden temporary name beside the target and are renamed onto it at
 * {@link #commit}. On an object store whose streams are abortable (S3A), the object only appears when the
 * single PUT or the multipart upload completes at close, so the target is written directly and a failure
 * aborts the upload instead of publishing a truncated object.
 *
 * <p>Local files are written with direct I/O where the filesystem supports it ({@link DirectFileWriter}) and
 * published with an atomic replacing move: the stream Hadoop's local filesystem uses copies every large write
 * through a freshly allocated native buffer, which costs several times the disk's own rate where fresh memory
 * is slow to touch, and the page cache costs a kernel copy per byte of a file this job never reads back.
 *
 * <p>Not thread-safe; one writer per file.
 */
public final class AtomicOutput implements Closeable {
  /** Prefix of the temporary names; readers listing an output folder skip names starting with a dot. */
  public static final String TEMP_PREFIX = ".";

  private static final java.util.regex.Pattern TEMP_NAME =
      java.util.regex.Pattern.compile("\\..+\\.tmp-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

  /**
   * Whether {@code name} is one of this class's temporary names: what a writer killed outright leaves behind,
   * and what the next run that owns the folder may delete.
   */
  public static boolean isTemporaryName(String name) {
    return TEMP_NAME.matcher(name).matches();
  }

  private final FileSystem fs;
  private final Path target;
  private final Path temp;
  private final FSDataOutputStream out;
  private final HashedLocalFile local;
  /** Of the Hadoop stream's bytes; a local file takes its own. */
  private final MessageDigest digest;
  /** Hadoop streams take arrays only: bytes of native memory go through this, a slice at a time. */
  private byte[] streamCopy;
  private long bytes;
  private boolean finished;

  /** Bytes of native memory copied to a Hadoop stream at a time: the copy stays in cache, the array small. */
  static final int STREAM_COPY_BYTES = 64 << 10;

  private AtomicOutput(FileSystem fs, Path target, Path temp, FSDataOutputStream out, HashedLocalFile local) {
    this.fs = fs;
    this.target = target;
    this.temp = temp;
    this.out = out;
    this.local = local;
    this.digest = local == null ? Sha256.newDigest() : null;
  }

  /** Opens {@code target} for writing; an existing file there is replaced only at {@link #commit}. */
  public static AtomicOutput create(FileSystem fs, Path target) throws IOException {
    if (publishesAtClose(fs, target)) {
      return new AtomicOutput(fs, target, null, fs.create(target, true), null);
    }
    Path parent = target.getParent();
    if (fs instanceof RawLocalFileSystem localFs) {
      java.nio.file.Path dir = localFs.pathToFile(parent).toPath();
      Files.createDirectories(dir);
      Path temp = new Path(parent, TEMP_PREFIX + target.getName() + ".tmp-" + UUID.randomUUID());
      return new AtomicOutput(fs, target, temp, null, HashedLocalFile.create(localFs.pathToFile(temp).toPath()));
    }
    if (!fs.mkdirs(parent)) {
      throw new IOException("Cannot create directory " + parent);
    }
    Path temp = new Path(parent, TEMP_PREFIX + target.getName() + ".tmp-" + UUID.randomUUID());
    return new AtomicOutput(fs, target, temp, fs.create(temp, false), null);
  }

  /** True where a stream's data becomes visible only when it is closed, and can be abandoned instead. */
  public static boolean publishesAtClose(FileSystem fs, Path path) throws IOException {
    return fs.hasPathCapability(path, CommonPathCapabilities.ABORTABLE_STREAM);
  }

  public void write(byte[] data, int offset, int length) throws IOException {
    if (local != null) {
      local.write(data, offset, length);
    } else {
      digest.update(data, offset, length);
      out.write(data, offset, length);
    }
    bytes += length;
  }

  /**
   * Writes {@code data}'s remaining bytes and advances its position to its limit. A buffer over an array is
   * written as that array; native memory (a GPU's pinned rows) goes to a local file without a copy into the
   * heap, and to a Hadoop stream through a small reused array.
   */
  public void write(ByteBuffer data) throws IOException {
    int length = data.remaining();
    if (local != null) {
      // The local file takes arrays and native memory alike, and keeps its own digest.
      local.write(data);
    } else if (data.hasArray()) {
      int offset = data.arrayOffset() + data.position();
      digest.update(data.array(), offset, length);
      out.write(data.array(), offset, length);
      data.position(data.limit());
    } else {
      digest.update(data.duplicate());
      if (streamCopy == null) {
        streamCopy = new byte[STREAM_COPY_BYTES];
      }
      while (data.hasRemaining()) {
        int n = Math.min(data.remaining(), streamCopy.length);
        data.get(streamCopy, 0, n);
        out.write(streamCopy, 0, n);
      }
    }
    bytes += length;
  }

  public void write(byte[] data) throws IOException {
    write(data, 0, data.length);
  }

  public long bytes() {
    return bytes;
  }

  public Path target() {
    return target;
  }

  /** Publishes the file and returns what was written. */
  public Written commit() throws IOException {
    if (finished) {
      throw new IllegalStateException("Output " + target + " is already committed or aborted");
    }
    finished = true;
    if (local != null) {
      String sha256 = local.finish();
      RawLocalFileSystem localFs = (RawLocalFileSystem) fs;
      try {
        Files.move(localFs.pathToFile(temp).toPath(), localFs.pathToFile(target).toPath(),
            StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        Files.deleteIfExists(localFs.pathToFile(temp).toPath());
        throw e;
      }
      return new Written(target, bytes, sha256);
    }
    out.close();
    if (temp != null) {
      // Hadoop's rename does not replace an existing file on every filesystem; the old copy goes first, so a
      // reader sees the old file, then nothing, then the complete new one, never a partial one.
      if (fs.exists(target) && !fs.delete(target, false)) {
        fs.delete(temp, false);
        throw new IOException("Cannot replace " + target);
      }
      if (!fs.rename(temp, target)) {
        fs.delete(temp, false);
        throw new IOException("Cannot rename " + temp + " to " + target);
      }
    }
    return new Written(target, bytes, Sha256.hex(digest));
  }

  /** Drops everything written; the target keeps whatever it had before. Safe to call more than once. */
  public void abort() {
    if (finished) {
      return;
    }
    finished = true;
    if (temp == null) {
      out.abort();
      return;
    }
    try {
      if (local != null) {
        local.close();
      } else {
        out.close();
      }
    } catch (IOException | RuntimeException ignored) {
      // The stream is being thrown away; its close failure changes nothing for the caller.
    }
    try {
      fs.delete(temp, false);
    } catch (IOException ignored) {
      // A leftover hidden temp file is harmless: no reader takes dot-names, and the next run writes afresh.
    }
  }

  /** Aborts unless committed, so that try-with-resources never publishes a half-written file. */
  @Override
  public void close() {
    abort();
  }

  /** A published file: where, how many bytes, and their SHA-256. */
  public record Written(Path path, long bytes, String sha256) {}
}
