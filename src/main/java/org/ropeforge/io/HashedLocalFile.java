package org.ropeforge.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * A new local file written once, in order, with its SHA-256 and length taken on the way: the local half of
 * {@link AtomicOutput}, on the JDK alone, so that it also runs where Hadoop is absent (the GPU benchmark times the
 * job's write path through it).
 *
 * <p>Not thread-safe; one writer per file.
 */
public final class HashedLocalFile implements AutoCloseable {
  private final DirectFileWriter writer;
  private final MessageDigest digest = Sha256.newDigest();
  private long bytes;

  private HashedLocalFile(DirectFileWriter writer) {
    this.writer = writer;
  }

  /** Creates {@code file}, which must not exist; direct I/O where its filesystem allows. */
  public static HashedLocalFile create(Path file) throws IOException {
    return new HashedLocalFile(DirectFileWriter.create(file));
  }

  public void write(byte[] data, int offset, int length) throws IOException {
    write(ByteBuffer.wrap(data, offset, length));
  }

  /**
   * Writes {@code data}'s remaining bytes and advances its position to its limit; the digest reads an array's
   * bytes in place, native memory without a copy into the heap.
   */
  public void write(ByteBuffer data) throws IOException {
    int length = data.remaining();
    digest.update(data.duplicate());
    writer.write(data);
    bytes += length;
  }

  public long bytes() {
    return bytes;
  }

  /** Whether the file is written with direct I/O (false where the filesystem refused it). */
  public boolean direct() {
    return writer.direct();
  }

  /** Flushes and closes the file, exactly {@link #bytes} long, and returns the hex SHA-256 of its bytes. */
  public String finish() throws IOException {
    writer.finish();
    return Sha256.hex(digest);
  }

  /** Closes without flushing: for an abandoned file, which the caller deletes. */
  @Override
  public void close() throws IOException {
    writer.close();
  }
}
