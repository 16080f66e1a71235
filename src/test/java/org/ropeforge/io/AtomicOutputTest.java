package org.ropeforge.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
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
}
