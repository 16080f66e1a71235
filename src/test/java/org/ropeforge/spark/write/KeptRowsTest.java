package org.ropeforge.spark.write;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The rows a layer keeps for its sin tensors read back in order, from memory and from a local file alike. */
class KeptRowsTest {
  @Test
  void rowsKeptInMemoryComeBackInOrder() throws IOException {
    roundTrip(1000);
  }

  @Test
  void rowsKeptOnDiskComeBackInOrderAndTheFileIsRemoved() throws IOException {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    long before = kept(tmp);
    // Larger than memory keeps: the rows go to a (sparse) temporary file; only the chunks written are read.
    roundTrip(GroupWriter.KeptRows.KEPT_IN_MEMORY + 1);
    assertEquals(before, kept(tmp), "no temporary file left");
  }

  @Test
  void readingPastWhatWasKeptOnDiskFails() throws IOException {
    try (GroupWriter.KeptRows kept = new GroupWriter.KeptRows(GroupWriter.KeptRows.KEPT_IN_MEMORY + 1)) {
      kept.add(new byte[10], 10);
      kept.rewind();
      kept.next(new byte[10], 10);
      IOException e = assertThrows(IOException.class, () -> kept.next(new byte[10], 10));
      assertEquals(true, e.getMessage().matches("Rows kept in .*ropeforge-rows.*\\.bin end at byte 10"),
          e.getMessage());
    }
  }

  private static void roundTrip(long capacity) throws IOException {
    SplittableRandom random = new SplittableRandom(7);
    byte[][] chunks = new byte[5][];
    try (GroupWriter.KeptRows kept = new GroupWriter.KeptRows(capacity)) {
      for (int c = 0; c < chunks.length; c++) {
        chunks[c] = new byte[1 + random.nextInt(150)];
        for (int i = 0; i < chunks[c].length; i++) {
          chunks[c][i] = (byte) random.nextInt();
        }
        byte[] buffer = new byte[chunks[c].length + 20];
        System.arraycopy(chunks[c], 0, buffer, 0, chunks[c].length);
        kept.add(buffer, chunks[c].length);
      }
      kept.rewind();
      for (byte[] chunk : chunks) {
        byte[] read = new byte[chunk.length + 7];
        kept.next(read, chunk.length);
        assertArrayEquals(chunk, java.util.Arrays.copyOf(read, chunk.length));
      }
    }
  }

  private static long kept(Path tmp) throws IOException {
    try (Stream<Path> files = Files.list(tmp)) {
      return files.filter(p -> p.getFileName().toString().startsWith("ropeforge-rows")).count();
    }
  }
}
