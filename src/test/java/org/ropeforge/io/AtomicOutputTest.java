package org.ropeforge.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicOutputTest {
  @TempDir Path dir;

  private final HadoopConf conf = new HadoopConf(new Configuration());

  private List<String> names() throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).sorted().toList();
    }
  }

  @Test
  void theTargetAppearsOnlyAtCommitWithSizeAndChecksum() throws IOException {
    org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(dir.toUri().toString(), "a/b/file.bin");
    FileSystem fs = conf.fileSystem(target);
    byte[] data = "hello, tables".getBytes();

    AtomicOutput out = AtomicOutput.create(fs, target);
    out.write(data);
    assertFalse(Files.exists(dir.resolve("a/b/file.bin")), "not visible before commit");
    assertEquals(1, names().size(), "one hidden temporary file");
    assertEquals(true, names().get(0).startsWith("a/b/.file.bin.tmp-"));
    AtomicOutput.Written written = out.commit();

    assertArrayEquals(data, Files.readAllBytes(dir.resolve("a/b/file.bin")));
    assertEquals(data.length, written.bytes());
    assertEquals(Sha256.hex(data), written.sha256());
    assertEquals(List.of("a/b/file.bin"), names(), "no .crc side file, no temporary left");
  }

  @Test
  void anAbortedOutputLeavesThePreviousFileAlone() throws IOException {
    Files.writeString(dir.resolve("keep.txt"), "previous");
    org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(dir.toUri().toString(), "keep.txt");

    try (AtomicOutput out = AtomicOutput.create(conf.fileSystem(target), target)) {
      out.write("partial".getBytes());
    }

    assertEquals("previous", Files.readString(dir.resolve("keep.txt")));
    assertEquals(List.of("keep.txt"), names());
  }

  @Test
  void aCommitReplacesThePreviousFile() throws IOException {
    Files.writeString(dir.resolve("f.txt"), "old contents, longer");
    org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(dir.toUri().toString(), "f.txt");

    try (AtomicOutput out = AtomicOutput.create(conf.fileSystem(target), target)) {
      out.write("new".getBytes());
      out.commit();
    }

    assertEquals("new", Files.readString(dir.resolve("f.txt")));
  }

  /**
   * Writes {@code data} in pieces of varied sizes, each as an array, a heap buffer, a native buffer or a read-only
   * native one (a GPU's pinned rows arrive as the last), and commits.
   */
  private static AtomicOutput.Written writeMixed(FileSystem fs, org.apache.hadoop.fs.Path target, byte[] data)
      throws IOException {
    Random random = new Random(11);
    try (AtomicOutput out = AtomicOutput.create(fs, target)) {
      int piece = 0;
      for (int at = 0; at < data.length; piece++) {
        int n = Math.min(data.length - at, 1 + random.nextInt(piece % 2 == 0 ? 300_000 : 5_000));
        ByteBuffer buffer = switch (piece % 4) {
          case 0 -> null;
          case 1 -> ByteBuffer.wrap(data, at, n);
          default -> ByteBuffer.allocateDirect(n).put(data, at, n).flip();
        };
        if (piece % 4 == 3) {
          buffer = buffer.asReadOnlyBuffer();
        }
        if (buffer == null) {
          out.write(data, at, n);
        } else {
          int start = buffer.position();
          out.write(buffer);
          assertEquals(start + n, buffer.position(), "buffer consumed to its limit");
        }
        at += n;
      }
      return out.commit();
    }
  }

  @Test
  void buffersGiveTheBytesAndChecksumOfArraysOnBothWritePaths() throws IOException {
    byte[] data = new byte[(5 << 20) + 77];
    new Random(3).nextBytes(data);
    org.apache.hadoop.fs.Path direct = new org.apache.hadoop.fs.Path(dir.toUri().toString(), "direct/t.bin");
    FileSystem raw = conf.fileSystem(direct);
    // Hadoop's checksummed local filesystem is not the raw one, so it takes the stream path the stores take.
    LocalFileSystem checksummed = FileSystem.getLocal(new Configuration());
    org.apache.hadoop.fs.Path streamed = new org.apache.hadoop.fs.Path(dir.toUri().toString(), "stream/t.bin");
    assertTrue(raw instanceof org.apache.hadoop.fs.RawLocalFileSystem, "the direct-I/O path");
    assertFalse(AtomicOutput.publishesAtClose(checksummed, streamed), "the renaming stream path");

    for (AtomicOutput.Written written : List.of(writeMixed(raw, direct, data),
        writeMixed(checksummed, streamed, data))) {
      assertEquals(data.length, written.bytes(), written.path().toString());
      assertEquals(Sha256.hex(data), written.sha256(), written.path().toString());
    }
    assertArrayEquals(data, Files.readAllBytes(dir.resolve("direct/t.bin")));
    assertArrayEquals(data, Files.readAllBytes(dir.resolve("stream/t.bin")));
  }

  @Test
  void aHeapBufferIsWrittenFromItsWindowOfTheArray() throws IOException {
    org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(dir.toUri().toString(), "window.bin");
    byte[] backing = "xxHELLOyy".getBytes();
    ByteBuffer window = ByteBuffer.wrap(backing, 2, 5).slice();

    AtomicOutput.Written written;
    try (AtomicOutput out = AtomicOutput.create(conf.fileSystem(target), target)) {
      out.write(window);
      written = out.commit();
    }

    assertEquals("HELLO", Files.readString(dir.resolve("window.bin")));
    assertEquals(Sha256.hex("HELLO".getBytes()), written.sha256());
  }
}
