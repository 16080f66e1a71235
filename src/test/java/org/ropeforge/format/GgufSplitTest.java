package org.ropeforge.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.ropeforge.core.RopeConfigException;

/**
 * Split GGUF models made by the gguf package (make_gguf.py, SPLIT: one tensor per shard, so the rope tensors sit
 * in later shards): the first shard reads as the unsplit file, and a broken split is refused naming the file.
 */
class GgufSplitTest {
  static final Path SPLIT = GgufConfigTest.GGUF.resolve("split");
  static final String LLAMA = "llama-3.1-8b-instruct";
  static final String PHI = "phi-3-mini-128k-instruct";

  @TempDir
  Path dir;

  static String shard(String model, int n) {
    return String.format("%s-%05d-of-00003.gguf", model, n);
  }

  /** A copy of a split in the temporary folder, to break. */
  private Path copy(String model) throws IOException {
    for (int n = 1; n <= 3; n++) {
      Files.copy(SPLIT.resolve(shard(model, n)), dir.resolve(shard(model, n)));
    }
    return dir.resolve(shard(model, 1));
  }

  @ParameterizedTest
  @ValueSource(strings = {LLAMA, PHI})
  void theFirstShardReadsAsTheUnsplitFile(String model) throws IOException {
    byte[] whole = GgufConfig.read(model, GgufConfigTest.GGUF.resolve(model + ".gguf")).bytes();
    byte[] split = GgufConfig.read(model, SPLIT.resolve(shard(model, 1))).bytes();
    assertArrayEquals(whole, split, new String(split, StandardCharsets.UTF_8));
  }

  @Test
  void aShardReadAloneIsRefused() throws IOException {
    byte[] first = Files.readAllBytes(SPLIT.resolve(shard(LLAMA, 1)));
    RopeConfigException e = assertThrows(RopeConfigException.class,
        () -> GgufConfig.read("m", GgufFile.Source.of(first)));
    assertEquals(GgufSplit.SPLIT_COUNT, e.field());
    assertEquals("model 'm': split.count = 3: a shard read alone, not from its folder, cannot reach the other "
        + "shards of its split", e.getMessage());
  }

  @Test
  void aMissingShardIsRefusedNamingIt() throws IOException {
    Path first = copy(LLAMA);
    Files.delete(dir.resolve(shard(LLAMA, 3)));
    RopeConfigException e = assertThrows(RopeConfigException.class, () -> GgufConfig.read("m", first));
    assertEquals("split", e.field());
    assertEquals("model 'm': split shard 3 of 3, " + shard(LLAMA, 3) + ", is missing beside " + shard(LLAMA, 1),
        e.getMessage());
  }

  @Test
  void aShardWithAnotherCountIsRefusedNamingIt() throws IOException {
    Path first = copy(LLAMA);
    patch(dir.resolve(shard(LLAMA, 2)), GgufSplit.SPLIT_COUNT, 2, 2);
    RopeConfigException e = assertThrows(RopeConfigException.class, () -> GgufConfig.read("m", first));
    assertEquals(GgufSplit.SPLIT_COUNT, e.field());
    assertEquals("model 'm': split.count = 2 in " + shard(LLAMA, 2) + " differs from 3 in the first shard "
        + shard(LLAMA, 1), e.getMessage());
  }

  @Test
  void aShardInTheWrongPlaceIsRefusedNamingIt() throws IOException {
    Path first = copy(LLAMA);
    patch(dir.resolve(shard(LLAMA, 3)), GgufSplit.SPLIT_NO, 1, 2);
    RopeConfigException e = assertThrows(RopeConfigException.class, () -> GgufConfig.read("m", first));
    assertEquals(GgufSplit.SPLIT_NO, e.field());
    assertEquals("model 'm': split.no = 1 in " + shard(LLAMA, 3) + ", which is shard 3 of 3 (split.no 2)",
        e.getMessage());
  }

  @Test
  void aTensorCountTheShardsDoNotHoldIsRefused() throws IOException {
    Path first = copy(LLAMA);
    patch(first, GgufSplit.SPLIT_TENSORS_COUNT, 4, 4);
    RopeConfigException e = assertThrows(RopeConfigException.class, () -> GgufConfig.read("m", first));
    assertEquals(GgufSplit.SPLIT_TENSORS_COUNT, e.field());
    assertEquals("model 'm': split.tensors.count = 4 in " + shard(LLAMA, 1) + ", but its 3 shards hold 3 tensors",
        e.getMessage());
  }

  @Test
  void anEntryNamingALaterShardIsRefused() throws IOException {
    copy(LLAMA);
    RopeConfigException e = assertThrows(RopeConfigException.class,
        () -> GgufConfig.read("m", dir.resolve(shard(LLAMA, 2))));
    assertEquals(GgufSplit.SPLIT_NO, e.field());
    assertEquals("model 'm': split.no = 1 in " + shard(LLAMA, 2) + ": a model is named by its first shard "
        + "(split.no = 0), " + shard(LLAMA, 1), e.getMessage());
  }

  @Test
  void aFirstShardRenamedSoItsShardsCannotBeNamedIsRefused() throws IOException {
    copy(LLAMA);
    Path renamed = Files.move(dir.resolve(shard(LLAMA, 1)), dir.resolve("llama.gguf"));
    RopeConfigException e = assertThrows(RopeConfigException.class, () -> GgufConfig.read("m", renamed));
    assertEquals(GgufSplit.SPLIT_COUNT, e.field());
    assertEquals("model 'm': split.count = 3 in llama.gguf, whose name is not <stem>-00001-of-00003.gguf, so its "
        + "other shards cannot be named", e.getMessage());
  }

  @Test
  void aRopeTensorInTwoShardsIsRefused() throws IOException {
    // Written shard by shard with the split keys set by hand (make_gguf.py, write_duplicate_split).
    Path first = GgufConfigTest.GGUF.resolve("refused/dup-rope-00001-of-00002.gguf");
    RopeConfigException e = assertThrows(RopeConfigException.class, () -> GgufConfig.read("m", first));
    assertEquals(GgufConfig.ROPE_FACTORS_SHORT, e.field());
    assertEquals("model 'm': rope_factors_short.weight is in both dup-rope-00001-of-00002.gguf and "
        + "dup-rope-00002-of-00002.gguf; which one llama.cpp loads is ambiguous", e.getMessage());
  }

  @Test
  void aFolderHoldsOneModel() {
    List<String> names = List.of("README.md", shard(LLAMA, 2), shard(LLAMA, 1), shard(LLAMA, 3));
    assertEquals(shard(LLAMA, 1), GgufConfig.modelFile("m", "f", names));
    assertEquals("x.gguf", GgufConfig.modelFile("m", "f", List.of("x.gguf", "config.json")));
    RopeConfigException orphans = assertThrows(RopeConfigException.class,
        () -> GgufConfig.modelFile("m", "f", List.of(shard(LLAMA, 2), shard(LLAMA, 3))));
    assertEquals("model 'm': split shard 1, " + shard(LLAMA, 1) + ", is missing in f, which holds later shards "
        + "of its split", orphans.getMessage());
    RopeConfigException two = assertThrows(RopeConfigException.class,
        () -> GgufConfig.modelFile("m", "f", List.of("b.gguf", shard(LLAMA, 1))));
    assertEquals("model 'm': config = f holds 2 GGUF models [b.gguf, " + shard(LLAMA, 1) + "]; a folder entry "
        + "must hold one model", two.getMessage());
    RopeConfigException none = assertThrows(RopeConfigException.class,
        () -> GgufConfig.modelFile("m", "f", List.of("config.json")));
    assertEquals("model 'm': config = f holds no GGUF file; a folder entry must hold one model",
        none.getMessage());
  }

  @Test
  void shardNamesAreGgufSplits() {
    GgufSplit.ShardName name = GgufSplit.ShardName.parse("Model-Q4-00002-of-00010.GGUF");
    assertEquals(new GgufSplit.ShardName("Model-Q4", 2, 10, ".GGUF"), name);
    assertEquals("Model-Q4-00001-of-00010.GGUF", name.fileName(1));
    assertNull(GgufSplit.ShardName.parse("model-00000-of-00003.gguf"));
    assertNull(GgufSplit.ShardName.parse("model-00004-of-00003.gguf"));
    assertNull(GgufSplit.ShardName.parse("model-1-of-3.gguf"));
    assertNull(GgufSplit.ShardName.parse("model.gguf"));
  }

  /** Sets the integer value of metadata {@code key} ({@code width} bytes, little-endian) in place. */
  static void patch(Path file, String key, long value, int width) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    int at = indexOf(bytes, key.getBytes(StandardCharsets.UTF_8)) + key.length() + 4;
    ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (width == 2) {
      buffer.putShort(at, (short) value);
    } else {
      buffer.putInt(at, (int) value);
    }
    Files.write(file, bytes);
  }

  static int indexOf(byte[] bytes, byte[] needle) {
    for (int i = 0; i + needle.length <= bytes.length; i++) {
      if (Arrays.equals(bytes, i, i + needle.length, needle, 0, needle.length)) {
        return i;
      }
    }
    throw new AssertionError(new String(needle, StandardCharsets.UTF_8) + " not found");
  }
}
