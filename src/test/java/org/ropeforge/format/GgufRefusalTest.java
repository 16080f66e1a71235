package org.ropeforge.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.ropeforge.config.RopeResolver;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.RopeConfigException;

/**
 * Headers the mapping cannot give back as a config, made by the gguf package (make_gguf.py, REFUSED): each is
 * refused naming the model, the GGUF key and the rule.
 */
class GgufRefusalTest {
  static Stream<Arguments> refused() {
    return Stream.of(
        Arguments.of("cohere2", "general.architecture", "= \"cohere2\" is not an architecture whose GGUF RoPE keys "
            + "ropeforge maps (" + String.join(", ", GgufConfig.mappedArchitectures()) + "); refused rather than "
            + "guessed"),
        Arguments.of("gemma3-no-window", "gemma3.attention.sliding_window", "is required but missing"),
        Arguments.of("gemma3-swa-base", "gemma3.rope.freq_base_swa", "= 20000.0 is not 10000, the base llama.cpp "
            + "gives gemma3's sliding-window layers whatever this key says in the versions that fix it; which base "
            + "the layers use is ambiguous"),
        Arguments.of("gemma3-rope-freqs", GgufConfig.ROPE_FREQS, "is not mapped for gemma3: which of its layer "
            + "types it would apply to is ambiguous"),
        Arguments.of("gemma3-yarn", "gemma3.rope.scaling.type", "= \"yarn\" is not mapped for gemma3: llama.cpp "
            + "applies it to the full-attention layers only, which no Gemma 3 config does for anything but linear"),
        Arguments.of("glm4-sections", "glm4.rope.dimension_sections", "is a RoPE key that ropeforge does not map "
            + "to a config; refused rather than dropped"),
        Arguments.of("qwen2moe-partial", "qwen2moe.rope.dimension_count", "= 64 differs from the head dimension "
            + "128: qwen2_moe rotates the whole head in transformers, so a partial rotary dimension has no config "
            + "to map to"),
        Arguments.of("gptneox-odd", "gptneox.rope.dimension_count", "= 33 must be even and at most the head "
            + "dimension 128"),
        Arguments.of("gptneox-wider", "gptneox.rope.dimension_count", "= 256 must be even and at most the head "
            + "dimension 128"),
        Arguments.of("deepseek2-no-rope-dim", "deepseek2.rope.dimension_count", "is required but missing"),
        Arguments.of("deepseek2-yarn-no-mscale", "deepseek2.rope.scaling.yarn_log_multiplier",
            "is required but missing"),
        Arguments.of("deepseek2-mscale-no-yarn", "deepseek2.rope.scaling.yarn_log_multiplier", "is given without "
            + "yarn scaling, which alone uses it; what it was meant to change is ambiguous"),
        Arguments.of("llama-log-multiplier", "llama.rope.scaling.yarn_log_multiplier", "is a RoPE key that "
            + "ropeforge does not map to a config; refused rather than dropped"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void isRefusedByName(String file, String field, String rule) {
    RopeConfigException e = assertThrows(RopeConfigException.class,
        () -> GgufConfig.read("m", GgufConfigTest.GGUF.resolve("refused/" + file + ".gguf")));
    assertEquals(field, e.field());
    assertEquals("model 'm': " + field + " " + rule, e.getMessage());
  }

  /**
   * A file without freq_base maps to a config without rope_theta, which is right only while transformers'
   * default for each mapped model_type is llama.cpp's 10000. (The head dimension is always written: Gemma's
   * default is 256, not hidden_size / heads.)
   */
  @Test
  void everyMappedModelTypeDefaultsToLlamaCppsBase() {
    for (String arch : GgufConfig.mappedArchitectures()) {
      if (arch.equals("gemma3")) {
        // The one exception, which is why its mapping always writes rope_theta: checked below.
        continue;
      }
      GgufConfig.Arch mapped = GgufConfig.arch(arch);
      String json = "{\"model_type\": \"" + mapped.modelType() + "\", \"hidden_size\": 4096, "
          + "\"num_attention_heads\": 32, \"head_dim\": 128, \"max_position_embeddings\": 4096"
          + (mapped.rotary() == GgufConfig.Rotary.LATENT ? ", \"qk_rope_head_dim\": 64" : "")
          + (mapped.rotary() == GgufConfig.Rotary.PARTIAL ? ", \"partial_rotary_factor\": 1.0" : "") + "}";
      LayerRope layer = RopeResolver.resolve(RopeResolver.parse("m", json.getBytes(StandardCharsets.UTF_8)), 4096,
          RopeResolver.Options.DEFAULT).layers().get(0);
      int dim = layer.rotaryDim();
      assertEquals(mapped.rotary() == GgufConfig.Rotary.LATENT ? 64 : 128, dim, arch);
      for (int j = 0; j < dim / 2; j++) {
        assertEquals(Math.pow(10000.0, -2.0 * j / dim), layer.invFreq()[j], 1e-15 * layer.invFreq()[j],
            arch + " inv_freq[" + j + "]");
      }
    }
    LayerRope gemma3 = RopeResolver.resolve(RopeResolver.parse("m", ("{\"model_type\": \"gemma3_text\", "
        + "\"hidden_size\": 4096, \"num_attention_heads\": 32, \"head_dim\": 128, \"max_position_embeddings\": "
        + "4096}").getBytes(StandardCharsets.UTF_8)), 4096, RopeResolver.Options.DEFAULT).layers().get(0);
    assertEquals("full_attention", gemma3.layerType());
    assertEquals(Math.pow(1e6, -2.0 / 128), gemma3.invFreq()[1], 1e-15 * gemma3.invFreq()[1],
        "gemma3's default base is 1e6, not llama.cpp's 10000");
  }
}
