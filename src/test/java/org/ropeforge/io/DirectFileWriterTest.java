package org.ropeforge.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Direct I/O staging must be invisible: every length and every split of the writes gives the same bytes. */
class DirectFileWriterTest {
  @TempDir
  Path dir;

  @Test
  void filesHoldExactlyTheBytesWrittenWhateverTheLengthAndSplit() throws IOException {
    Random random = new Random(42);
    int mib = DirectFileWriter.STAGING_BYTES;
    int[] lengths = {0, 1, 4095, 4096, 4097, mib - 1, mib, mib + 1, 3 * mib + 123};
    for (int length : lengths) {
      byte[] data = new byte[length];
      random.nextBytes(data);
      Path file = dir.resolve("f-" + length);
      try (DirectFileWriter w = DirectFileWriter.create(file)) {
        for (int at = 0; at < length; ) {
          int n = Math.min(length - at, 1 + random.nextInt(random.nextBoolean() ? 100 : 2 * mib));
          w.write(data, at, n);
          at += n;
        }
        w.finish();
      }
      assertEquals(length, Files.size(file), "length " + length);
      assertArrayEquals(data, Files.readAllBytes(file), "content at length " + length);
    }
  }

  @Test
  void anAbandonedFileIsClosedAndItsBufferReused() throws IOException {
    Path file = dir.resolve("abandoned");
    try (DirectFileWriter w = DirectFileWriter.create(file)) {
      w.write(new byte[10], 0, 10);
    }
    Path next = dir.resolve("next");
    try (DirectFileWriter w = DirectFileWriter.create(next)) {
      w.write(new byte[] {1, 2, 3}, 0, 3);
      w.finish();
    }
    assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(next), "a reused buffer starts empty");
  }
}
