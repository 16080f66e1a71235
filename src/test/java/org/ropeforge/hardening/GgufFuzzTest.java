package org.ropeforge.hardening;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.ropeforge.format.GgufConfig;
import org.ropeforge.format.GgufFile;
import org.ropeforge.format.GgufFormatException;

/**
 * Seeded mutations of valid GGUF files against the GGUF reader: forged 64-bit counts and lengths, forged 32-bit
 * types, versions and dimension counts, byte flips, truncation and trailing bytes, all within the header. Every
 * mutant must read, or fail with {@link GgufFormatException}; nothing else may escape, and no forged length may
 * make the reader allocate more than a small multiple of its window.
 */
class GgufFuzzTest {
  private static final int MUTANTS = 20_000;
  /** The reader's window, the rope tensors and a few kept strings; a forged length would be orders beyond. */
  private static final long ALLOCATION_BOUND = 4L << 20;

  @Test
  void everyMutantIsReadOrRefusedWithTheReadersOwnError() throws IOException {
    List<byte[]> bases = new ArrayList<>();
    try (var files = Files.list(Path.of("src/test/resources/gguf"))) {
      for (Path p : files.filter(p -> p.toString().endsWith(".gguf")).sorted().toList()) {
        bases.add(Files.readAllBytes(p));
      }
    }
    assertTrue(bases.size() >= 5, "the generated GGUF files are present");
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    Random random = new Random(20261201);
    Set<String> wanted = Set.of(GgufConfig.ROPE_FREQS, GgufConfig.ROPE_FACTORS_LONG, GgufConfig.ROPE_FACTORS_SHORT);
    int refused = 0;
    int accepted = 0;
    long mostAllocated = 0;
    List<String> escapes = new ArrayList<>();
    for (int i = 0; i < MUTANTS; i++) {
      byte[] base = bases.get(random.nextInt(bases.size()));
      byte[] mutant = mutate(base, random);
      long before = threads.getThreadAllocatedBytes(thread);
      try {
        GgufFile.read(GgufFile.Source.of(mutant), wanted);
        accepted++;
      } catch (GgufFormatException e) {
        refused++;
      } catch (Throwable e) {
        escapes.add("mutant " + i + ": " + e);
      }
      mostAllocated = Math.max(mostAllocated, threads.getThreadAllocatedBytes(thread) - before);
    }
    System.out.printf("gguf fuzz: %d mutants, %d refused with the reader's error, %d still valid, at most %d bytes"
        + " allocated by one read%n", MUTANTS, refused, accepted, mostAllocated);
    assertTrue(escapes.isEmpty(), escapes.size() + " mutants escaped:\n" + String.join("\n",
        escapes.subList(0, Math.min(20, escapes.size()))));
    // Edits inside string and float bytes leave a valid file; edits of counts, lengths and types must not.
    assertTrue(refused > MUTANTS / 4, "a quarter of the mutants at least should be invalid, only " + refused
        + " were refused");
    assertTrue(mostAllocated < ALLOCATION_BOUND, "a read allocated " + mostAllocated + " bytes");
  }

  /** One edit at a random place of the header (the first 1 KiB, where counts, lengths and types are). */
  private static byte[] mutate(byte[] f, Random r) {
    int header = Math.min(1024, f.length);
    byte[] m = f.clone();
    ByteBuffer b = ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN);
    switch (r.nextInt(6)) {
      case 0 -> {
        long[] choices = {r.nextLong(), -1L, Long.MIN_VALUE, Long.MAX_VALUE, 0, 1, f.length, f.length - 1,
            1L << 32, 1L << 20, (1L << 20) + 1, 65_536, 65_535};
        b.putLong(r.nextInt(header - 8), choices[r.nextInt(choices.length)]);
      }
      case 1 -> {
        int[] choices = {r.nextInt(), -1, 0, 1, 2, 3, 4, 5, 8, 9, 12, 13, 255};
        b.putInt(r.nextInt(header - 4), choices[r.nextInt(choices.length)]);
      }
      case 2 -> {
        for (int k = 1 + r.nextInt(4); k > 0; k--) {
          m[r.nextInt(header)] ^= (byte) (1 << r.nextInt(8));
        }
      }
      case 3 -> {
        return Arrays.copyOf(f, r.nextInt(f.length));
      }
      case 4 -> {
        byte[] longer = Arrays.copyOf(f, f.length + 1 + r.nextInt(64));
        for (int k = f.length; k < longer.length; k++) {
          longer[k] = (byte) r.nextInt();
        }
        return longer;
      }
      default -> {
        // A forged offset or shape of the last tensor infos, near the end of the header.
        int end = Math.min(f.length, 640);
        b.putLong(Math.max(0, end - 8 - r.nextInt(200)), r.nextBoolean() ? r.nextLong() : r.nextInt(f.length));
      }
    }
    return m;
  }
}
