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
