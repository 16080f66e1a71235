package org.ropeforge.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ropeforge.config.RopeResolver;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.ResolvedRope;
import org.ropeforge.core.RopeConfigException;
import org.ropeforge.core.table.TableOptions;

/** The axis map of multimodal RoPE, from the config to the file. */
class MropeAxisTest {
  @TempDir
  Path dir;

  @Test
  void blockedSectionsTakeConsecutiveFrequenciesAndTheFileStoresThem() throws IOException {
    ResolvedRope rope = RopeResolver.resolve(golden("Qwen__Qwen2.5-VL-7B-Instruct.json"), 4096,
        RopeResolver.Options.DEFAULT);
    LayerRope layer = rope.layers().get(0);
    byte[] expected = new byte[64];
    Arrays.fill(expected, 16, 40, (byte) 1);
    Arrays.fill(expected, 40, 64, (byte) 2);
    assertArrayEquals(expected, layer.mropeAxis());

    RopeTableFile plan = RopeTableFile.plan(rope, TableOptions.DEFAULT, RopeTableFileTest.SHA);
    Safetensors.TensorInfo axis = plan.header().tensor("axis");
    assertEquals("I8", axis.dtype());
    assertArrayEquals(new long[] {64}, axis.shape());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    plan.write(bytes);
    Path file = dir.resolve("vl.safetensors");
    Files.write(file, bytes.toByteArray());
    byte[] stored = Arrays.copyOfRange(bytes.toByteArray(), (int) plan.header().fileOffset(axis, 0),
        (int) plan.header().fileOffset(axis, 64));
    assertArrayEquals(expected, stored);
    assertNull(RopeResolver.resolve(golden("meta-llama__Llama-2-7b-hf.json"), 4096, RopeResolver.Options.DEFAULT)
        .layers().get(0).mropeAxis(), "no axis without mrope sections");
  }

  @Test
  void interleavedSectionsFollowQwen3VlsStridedAssignment() {
    ResolvedRope rope = RopeResolver.resolve(RopeResolver.parse("qwen3-vl", ("{\"model_type\": \"qwen3_vl_text\", "
        + "\"hidden_size\": 4096, \"num_attention_heads\": 32, \"head_dim\": 128, \"max_position_embeddings\": 262144,"
        + " \"rope_theta\": 5000000, \"rope_scaling\": {\"rope_type\": \"default\", \"mrope_section\": [24, 20, 20],"
        + " \"mrope_interleaved\": true}}").getBytes(StandardCharsets.UTF_8)), 4096, RopeResolver.Options.DEFAULT);
    // Qwen3-VL starts from the t frequencies and overwrites, for h and w, every third one from offset 1 and 2
    // up to 3 x section: replayed here on three tagged rows.
    int[][] tagged = new int[3][64];
    for (int axis = 0; axis < 3; axis++) {
      Arrays.fill(tagged[axis], axis);
    }
    int[] merged = tagged[0].clone();
    int[] section = {24, 20, 20};
    for (int axis = 1; axis <= 2; axis++) {
      for (int j = axis; j < section[axis] * 3; j += 3) {
        merged[j] = tagged[axis][j];
      }
    }
    byte[] got = rope.layers().get(0).mropeAxis();
    for (int j = 0; j < 64; j++) {
      assertEquals(merged[j], got[j], "frequency " + j);
    }
  }

  @Test
  void glm4vSectionsAreBlockedOverItsPartialRotaryFrequencies() {
    // GLM-4.1V-9B-Thinking's text config: head_dim 4096 / 32 = 128, partial_rotary_factor 0.5, so 64 rotary
    // dims and 32 frequencies, mrope_section [8, 12, 12] over them.
    ResolvedRope rope = RopeResolver.resolve(RopeResolver.parse("glm-4v", ("{\"model_type\": \"glm4v\", "
        + "\"text_config\": {\"model_type\": \"glm4v_text\", \"hidden_size\": 4096, \"num_attention_heads\": 32, "
        + "\"num_key_value_heads\": 2, \"max_position_embeddings\": 65536, \"partial_rotary_factor\": 0.5, "
        + "\"rope_theta\": 10000.0, \"rope_scaling\": {\"rope_type\": \"default\", \"mrope_section\": [8, 12, 12]}}}")
        .getBytes(StandardCharsets.UTF_8)), 4096, RopeResolver.Options.DEFAULT);
    LayerRope layer = rope.layers().get(0);
    assertEquals(64, layer.rotaryDim());
    // Glm4vTextRotaryEmbedding.recomposition_frequencies: freq.split(mrope_section) over the 32 frequencies and
    // chunk i taken from axis i % 3 (then repeat_interleave, which pairs dims, not frequencies): replayed here on
    // three tagged rows.
    int[] section = {8, 12, 12};
    int[] merged = new int[32];
    int at = 0;
    for (int chunk = 0; chunk < section.length; chunk++) {
      int[] tagged = new int[32];
      Arrays.fill(tagged, chunk % 3);
      System.arraycopy(tagged, at, merged, at, section[chunk]);
      at += section[chunk];
    }
    byte[] got = layer.mropeAxis();
    assertEquals(32, got.length);
    for (int j = 0; j < 32; j++) {
      assertEquals(merged[j], got[j], "frequency " + j);
    }
    // The inverse frequencies are those of the 64 rotary dims: base^(-2j/64).
    for (int j = 0; j < 32; j++) {
      assertEquals(Math.pow(10000.0, -2.0 * j / 64), layer.invFreq()[j], 1e-15 * layer.invFreq()[j]);
    }
  }

  @Test
  void ernie45VlAlternatesHeightAndWidthOverAscendingFrequenciesThenTime() {
    // ERNIE-4.5-VL-28B-A3B's text config: hidden 2560 / 20 heads = 128, sections (h, w, t) default [22, 22, 20].
    ResolvedRope rope = RopeResolver.resolve(RopeResolver.parse("ernie-vl", ("{\"model_type\": \"ernie4_5_vl_moe\", "
        + "\"text_config\": {\"hidden_size\": 2560, \"num_attention_heads\": 20, \"max_position_embeddings\": "
        + "131072, \"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 500000.0}}}")
        .getBytes(StandardCharsets.UTF_8)), 4096, RopeResolver.Options.DEFAULT);
    LayerRope layer = rope.layers().get(0);
    assertEquals(128, layer.rotaryDim());
    assertArrayEquals(new int[] {22, 22, 20}, layer.mropeSection());
    // Ernie4_5_VLMoeTextRotaryEmbedding replayed on frequency indices tagged with their axis: its buffer holds the
    // ascending frequencies with the first h + w permuted (cat(f[:hw][0::2], f[:hw][1::2]), the tail as it is);
    // forward multiplies each by all three position rows, and recomposition_frequencies splits by the sections,
    // takes chunk 0 from row h, chunk 1 from row w and chunk 2 from row t, and stacks h and w alternately before t.
    int[] section = {22, 22, 20};
    int hw = section[0] + section[1];
    int[] buffer = new int[64];
    for (int k = 0; k < hw; k++) {
      buffer[k] = k < hw / 2 ? 2 * k : 2 * (k - hw / 2) + 1;
    }
    for (int k = hw; k < 64; k++) {
      buffer[k] = k;
    }
    int[] rowOfChunk = {LayerRope.AXIS_H, LayerRope.AXIS_W, LayerRope.AXIS_T};
    int[][] chunkFrequency = new int[3][];
    int at = 0;
    for (int chunk = 0; chunk < 3; chunk++) {
      chunkFrequency[chunk] = Arrays.copyOfRange(buffer, at, at + section[chunk]);
      at += section[chunk];
    }
    int[] frequency = new int[64];
    int[] axis = new int[64];
    for (int i = 0; i < section[0]; i++) {
      frequency[2 * i] = chunkFrequency[0][i];
      axis[2 * i] = rowOfChunk[0];
      frequency[2 * i + 1] = chunkFrequency[1][i];
      axis[2 * i + 1] = rowOfChunk[1];
    }
    for (int i = 0; i < section[2]; i++) {
      frequency[hw + i] = chunkFrequency[2][i];
      axis[hw + i] = rowOfChunk[2];
    }
    byte[] got = layer.mropeAxis();
    assertEquals(64, got.length);
    for (int j = 0; j < 64; j++) {
      assertEquals(j, frequency[j], "pair " + j + " is rotated by the ascending frequency j");
      assertEquals(axis[j], got[j], "frequency " + j);
    }
    for (int j = 0; j < 64; j++) {
      assertEquals(Math.pow(500000.0, -2.0 * j / 128), layer.invFreq(j), 1e-15 * layer.invFreq(j));
    }
    assertEquals(1.0, layer.attentionFactor(), 0.0);
    assertEquals(List.of("nested config: RoPE fields read from text_config",
        "head_dim missing -> hidden_size // num_attention_heads = 128",
        "mrope_section missing -> [22, 22, 20] (ernie4_5_vl_moe rotary embedding default)",
        "ernie4_5_vl_moe: mrope sections (h, w, t) [22, 22, 20] -> plain frequencies in ascending order, axis h/w "
            + "alternating over the first 44 and t for the rest (its permuted buffer and recomposition undo each "
            + "other); the model pairs dimensions GPT-J style (x[2j], x[2j+1]), which layout gptj reproduces"),
        rope.rulesFired());
  }

  @Test
  void ernie45VlSectionsAndRopeTypesItsCodeDoesNotReproduceAreRefusedByName() {
    String head = "{\"model_type\": \"ernie4_5_vl_moe\", \"hidden_size\": 2560, \"num_attention_heads\": 20, "
        + "\"max_position_embeddings\": 131072, \"rope_parameters\": {\"rope_theta\": 500000.0, ";
    RopeConfigException unequal = ernieRefused(head + "\"rope_type\": \"default\", \"mrope_section\": [24, 20, 20]}}");
    assertEquals("rope_parameters.mrope_section", unequal.field());
    assertEquals("model 'ernie-vl': rope_parameters.mrope_section = [24.0, 20.0, 20.0] is refused for ernie4_5_vl_moe: "
        + "its sections (h, w, t) must be three non-negative integers with h = w, t at least 1 and h + w + t = "
        + "head_dim/2 = 64; only then does its permuted frequency buffer, recomposed, rotate pair j by the ascending "
        + "frequency j, which a table can carry", unequal.getMessage());
    RopeConfigException sum = ernieRefused(head + "\"mrope_section\": [16, 16, 20]}}");
    assertEquals("model 'ernie-vl': rope_parameters.mrope_section = [16.0, 16.0, 20.0] is refused for ernie4_5_vl_moe: "
        + "its sections (h, w, t) must be three non-negative integers with h = w, t at least 1 and h + w + t = "
        + "head_dim/2 = 64; only then does its permuted frequency buffer, recomposed, rotate pair j by the ascending "
        + "frequency j, which a table can carry", sum.getMessage());
    RopeConfigException yarn = ernieRefused(head + "\"rope_type\": \"yarn\", \"factor\": 2.0}}");
    assertEquals("rope_parameters.rope_type", yarn.field());
    assertEquals("model 'ernie-vl': rope_parameters.rope_type = \"yarn\" is refused for ernie4_5_vl_moe: its text "
        + "rotary embedding requires the default rope type (transformers raises for any other)", yarn.getMessage());
  }

  private static RopeConfigException ernieRefused(String json) {
    return assertThrows(RopeConfigException.class, () -> RopeResolver.resolve(RopeResolver.parse("ernie-vl",
        json.getBytes(StandardCharsets.UTF_8)), 4096, RopeResolver.Options.DEFAULT));
  }

  @Test
  void sectionsThatDoNotCoverTheFrequenciesAreRefusedByName() {
    RopeConfigException e = assertThrows(RopeConfigException.class, () -> RopeResolver.resolve(
        RopeResolver.parse("vl", ("{\"hidden_size\": 4096, \"num_attention_heads\": 32, "
            + "\"max_position_embeddings\": 4096, \"rope_scaling\": {\"type\": \"mrope\", \"mrope_section\": "
            + "[16, 24, 20]}}").getBytes(StandardCharsets.UTF_8)), 4096, RopeResolver.Options.DEFAULT));
    assertEquals("model 'vl': rope_scaling.mrope_section = [16.0, 24.0, 20.0] must be three sections (t, h, w) "
        + "that sum to rotary_dim/2 = 64", e.getMessage());
  }

  private static org.ropeforge.config.ModelConfig golden(String name) throws IOException {
    try (InputStream in = MropeAxisTest.class.getResourceAsStream("/golden/configs/" + name)) {
      return RopeResolver.parse(name, in.readAllBytes());
    }
  }
}
