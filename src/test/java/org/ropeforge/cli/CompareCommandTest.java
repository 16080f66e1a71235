package org.ropeforge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ropeforge.config.RopeResolver;
import org.ropeforge.core.Precision;
import org.ropeforge.core.Semantics;

class CompareCommandTest {
  @TempDir
  Path dir;

  @Test
  void everyEngineIsMeasuredAgainstTransformersExactAndRefusalsSayWhy() throws Exception {
    Path config = dir.resolve("yarn-model.json");
    Files.writeString(config, "{\"hidden_size\": 4096, \"num_attention_heads\": 32, \"max_position_embeddings\": 8192,"
        + " \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0, \"attention_factor\": 1.5,"
        + " \"original_max_position_embeddings\": 8192}}");
    List<CompareCommand.Difference> differences = CompareCommand.compare(
        RopeResolver.parse("yarn-model", Files.readAllBytes(config)), 8192);
    assertEquals(5, differences.size());
    CompareCommand.Difference torch = differences.get(0);
    assertEquals(new CompareCommand.Engine(Semantics.TRANSFORMERS, Precision.TORCH), torch.engine());
    assertTrue(torch.invFreq() > 0 && torch.invFreq() <= 0x1p-23, "float32 frequencies: " + torch.invFreq());
    assertTrue(torch.cosSin() > 0 && torch.cosSin() < 1e-2, "float32 angles at large positions: " + torch.cosSin());
    CompareCommand.Difference vllmExact = differences.get(3);
    assertEquals(new CompareCommand.Engine(Semantics.VLLM, Precision.EXACT), vllmExact.engine());
    // vLLM does not read attention_factor: 0.1 ln 4 + 1 where transformers takes 1.5.
    assertEquals(Math.abs(0.1 * Math.log(4) + 1 - 1.5) / 1.5, vllmExact.attentionFactor(), 1e-15);
    assertEquals(0.0, vllmExact.invFreq(), 1e-15);

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(new String[] {"compare", "--config", config.toString(), "--context-length", "40000"},
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(0, status, err::toString);
    String printed = out.toString(StandardCharsets.UTF_8);
    assertTrue(printed.startsWith("model yarn-model, context length 40000, against transformers exact, "), printed);
    assertTrue(printed.contains("vllm exact           refused: model 'yarn-model': context_length = 40000 exceeds "
        + "the 32768 positions of vLLM's cos_sin_cache for rope_type 'yarn' (original_max_position_embeddings x "
        + "factor)"), printed);
  }

  @Test
  void aTypeOnlyVllmHasShowsEachEngineAloneAndExitsOne() throws Exception {
    Path config = dir.resolve("ntk-model.json");
    Files.writeString(config, "{\"hidden_size\": 4096, \"num_attention_heads\": 32, \"max_position_embeddings\": 8192,"
        + " \"rope_scaling\": {\"rope_type\": \"ntk\", \"factor\": 4.0}}");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(new String[] {"compare", "--config", config.toString()},
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(1, status);
    assertEquals("ropeforge compare: the reference (transformers exact) is refused: model 'ntk-model': "
        + "rope_scaling.rope_type = \"ntk\" exists only in vLLM (NTKScalingRotaryEmbedding): transformers has no such "
        + "rope_type; resolve it with the vllm semantics" + System.lineSeparator(), err.toString(StandardCharsets.UTF_8));
    List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals(List.of(
        "model ntk-model, context length 8192, no reference (transformers exact is refused): each engine alone",
        "transformers torch   refused: model 'ntk-model': rope_scaling.rope_type = \"ntk\" exists only in vLLM "
            + "(NTKScalingRotaryEmbedding): transformers has no such rope_type; resolve it with the vllm semantics",
        // ExLlamaV2 acts on the scaling types it knows and reads any other as plain RoPE.
        "exllamav2 exact      resolved: default rotary_dim 128 attention factor 1.0",
        "exllamav2 torch      resolved: default rotary_dim 128 attention factor 1.0",
        "vllm exact           resolved: ntk rotary_dim 128 attention factor 1.0",
        "vllm torch           resolved: ntk rotary_dim 128 attention factor 1.0"), lines);
  }

  @Test
  void aMissingConfigIsAUsageError() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(new String[] {"compare"}, new PrintStream(new ByteArrayOutputStream()),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(2, status);
    assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("ropeforge compare: --config is required"));
  }
}
