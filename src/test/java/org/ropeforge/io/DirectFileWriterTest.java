package org.ropeforge.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
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

  /** The ways a chunk reaches the writer: an array, a heap buffer, native memory aligned or not, read-only. */
  private enum Source { ARRAY, HEAP, ALIGNED_NATIVE, SHIFTED_NATIVE, READ_ONLY_NATIVE }

  private static ByteBuffer nativeCopy(byte[] data, int at, int n, int shift) {
    // alignedSlice gives up to a block less at each end, whatever the allocation's address: room for the shift.
    ByteBuffer memory = ByteBuffer.allocateDirect(n + 3 * DirectFileWriter.BLOCK).alignedSlice(DirectFileWriter.BLOCK);
    ByteBuffer view = memory.slice(shift, n);
    view.put(data, at, n).flip();
    return view;
  }

  @Test
  void buffersOfEveryKindGiveTheBytesOfArrays() throws IOException {
    Random random = new Random(7);
    int mib = DirectFileWriter.STAGING_BYTES;
    int[] lengths = {0, 1, 4095, 4096, 4097, mib, 3 * mib + 123, 9 * mib + 4096};
    for (Source first : Source.values()) {
      for (int length : lengths) {
        byte[] data = new byte[length];
        random.nextBytes(data);
        Path file = dir.resolve("b-" + first + "-" + length);
        try (DirectFileWriter w = DirectFileWriter.create(file)) {
          int chunk = 0;
          for (int at = 0; at < length; chunk++) {
            // Whole blocks, odd sizes and tiny pieces, so that native memory meets both an empty staging buffer
            // at an aligned file end and a part-filled one.
            int n = Math.min(length - at, switch (chunk % 3) {
              case 0 -> 4 * mib;
              case 1 -> 1 + random.nextInt(3 * mib);
              default -> 1 + random.nextInt(100);
            });
            Source source = Source.values()[(first.ordinal() + chunk) % Source.values().length];
            ByteBuffer buffer = switch (source) {
              case ARRAY -> null;
              case HEAP -> ByteBuffer.wrap(data, at, n).slice();
              case ALIGNED_NATIVE -> nativeCopy(data, at, n, 0);
              case SHIFTED_NATIVE -> nativeCopy(data, at, n, 1 + random.nextInt(DirectFileWriter.BLOCK - 1));
              case READ_ONLY_NATIVE -> nativeCopy(data, at, n, 0).asReadOnlyBuffer();
            };
            if (buffer == null) {
              w.write(data, at, n);
            } else {
              w.write(buffer);
              assertEquals(0, buffer.remaining(), source + " buffer consumed");
            }
            at += n;
          }
          w.finish();
        }
        assertEquals(length, Files.size(file), first + " first, length " + length);
        assertArrayEquals(data, Files.readAllBytes(file), first + " first, content at length " + length);
      }
    }
  }

  @Test
  void aClosedWriterRefusesWritesRatherThanTouchAPooledBuffer() throws IOException {
    DirectFileWriter w = DirectFileWriter.create(dir.resolve("closed"));
    w.write(new byte[] {1}, 0, 1);
    w.finish();
    IllegalStateException array = assertThrows(IllegalStateException.class, () -> w.write(new byte[1], 0, 1));
    assertEquals("Writer of " + dir.resolve("closed") + " is closed", array.getMessage());
    IllegalStateException buffer =
        assertThrows(IllegalStateException.class, () -> w.write(nativeCopy(new byte[3], 0, 3, 5)));
    assertEquals("Writer of " + dir.resolve("closed") + " is closed", buffer.getMessage());
    assertArrayEquals(new byte[] {1}, Files.readAllBytes(dir.resolve("closed")));
  }
}
