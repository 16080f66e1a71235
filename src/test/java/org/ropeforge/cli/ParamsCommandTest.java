package org.ropeforge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ropeforge.config.ModelTypeConformance;

/** {@code params} end to end: catalog in, JSON lines out, exit codes as documented. */
class ParamsCommandTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private record Result(int status, List<JsonNode> lines, String err) {}

  private static Result run(String... args) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    List<JsonNode> lines = new ArrayList<>();
    for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
      if (!line.isBlank()) {
        lines.add(MAPPER.readTree(line));
      }
    }
    return new Result(status, lines, err.toString(StandardCharsets.UTF_8));
  }

  private static Path goldenCatalog(Path dir) throws IOException {
    List<String> lines = new ArrayList<>();
    for (String name : new String(ParamsCommandTest.class.getResourceAsStream("/golden/README.md").readAllBytes(),
        StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("| `") && l.contains(".json`"))
        .map(l -> l.substring(3, l.indexOf(".json`") + 5)).distinct().toList()) {
      try (InputStream in = ParamsCommandTest.class.getResourceAsStream("/golden/configs/" + name)) {
        if (in == null) {
          continue;
        }
        Files.write(dir.resolve(name), in.readAllBytes());
        lines.add("{\"model_id\": \"" + name.replace(".json", "").replace("__", "/") + "\", \"config\": \"" + name
            + "\"}");
      }
    }
    Path manifest = dir.resolve("catalog.jsonl");
    Files.write(manifest, lines);
    return manifest;
  }

  @Test
  void everyGoldenConfigResolvesInBothSemantics(@TempDir Path dir) throws IOException {
    Path manifest = goldenCatalog(dir);
    long models = Files.readAllLines(manifest).size();
    assertEquals(29, models, "the golden set has 29 configs");
    for (String semantics : List.of("transformers", "exllamav2")) {
      Result r = run("params", "--catalog", manifest.toString(), "--semantics", semantics, "--precision", "torch");
      assertEquals(0, r.status, r.err);
      assertEquals(models, r.lines.size());
      for (JsonNode line : r.lines) {
        assertEquals(semantics, line.get("semantics").asText());
        assertEquals("torch", line.get("precision").asText());
        JsonNode layer = line.get("layers").get(0);
        assertEquals(layer.get("rotary_dim").asInt() / 2, layer.get("inv_freq").size(), line.toString());
      }
    }
  }

  @Test
  void outputFollowsTheDocumentedShape(@TempDir Path dir) throws IOException {
    Path manifest = dir.resolve("catalog.jsonl");
    Files.copy(ParamsCommandTest.class.getResourceAsStream("/golden/configs/google__gemma-3-27b-it.json"),
        dir.resolve("gemma.json"));
    Files.copy(ParamsCommandTest.class.getResourceAsStream("/golden/configs/deepseek-ai__DeepSeek-V3.json"),
        dir.resolve("ds.json"));
    Files.writeString(manifest, "{\"model_id\": \"google/gemma-3\", \"config\": \"gemma.json\", "
        + "\"context_lengths\": [2048, 32768]}\n{\"model_id\": \"deepseek/v3\", \"config\": \"ds.json\"}\n");
    Result r = run("params", "--catalog", manifest.toString());
    assertEquals(0, r.status, r.err);
    assertEquals(3, r.lines.size());
    JsonNode gemma = r.lines.get(0);
    assertEquals(2048, gemma.get("context_length").asLong());
    assertEquals("full_attention", gemma.get("layers").get(0).get("layer_type").asText());
    assertEquals("linear", gemma.get("layers").get(0).get("rope_type").asText());
    assertEquals("sliding_attention", gemma.get("layers").get(1).get("layer_type").asText());
    assertTrue(gemma.get("rules_fired").toString().contains("rope_scaling applies to full_attention only"));
    JsonNode ds = r.lines.get(2);
    assertEquals(163840, ds.get("context_length").asLong(), "max_position_embeddings when no length is given");
    JsonNode layer = ds.get("layers").get(0);
    assertTrue(layer.get("layer_type").isNull());
    assertEquals(1.0, layer.get("attention_factor").asDouble());
    assertEquals(Math.pow(0.1 * Math.log(40) + 1, 2), layer.get("softmax_scale").asDouble(), 1e-15);
    assertTrue(ds.get("rules_fired").toString().contains("qk_rope_head_dim -> head_dim"));
  }

  @Test
  void aFailedModelGivesAnErrorLineAndTheOthersStillPrint(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("good.json"), "{\"model_type\": \"llama\", \"hidden_size\": 4096, "
        + "\"num_attention_heads\": 32, \"max_position_embeddings\": 4096}");
    Files.writeString(dir.resolve("bad.json"), "{\"model_type\": \"llama\", \"hidden_size\": 4096, "
        + "\"num_attention_heads\": 32, \"rope_scaling\": {\"type\": \"linear\", \"factor\": 0}}");
    Path manifest = dir.resolve("catalog.jsonl");
    Files.writeString(manifest, "{\"model_id\": \"bad\", \"config\": \"bad.json\", \"context_lengths\": [1024]}\n"
        + "{\"model_id\": \"good\", \"config\": \"good.json\"}\n");
    Result r = run("params", "--catalog", manifest.toString());
    assertEquals(1, r.status);
    assertEquals(2, r.lines.size());
    JsonNode error = r.lines.get(0).get("error");
    assertEquals("bad", r.lines.get(0).get("model_id").asText());
    assertEquals(1024, r.lines.get(0).get("context_length").asLong());
    assertEquals("rope_scaling.factor", error.get("field").asText());
    assertEquals("0.0", error.get("value").asText());
    assertEquals("model 'bad': rope_scaling.factor = 0.0 must be a finite number > 0", error.get("message").asText());
    assertEquals("good", r.lines.get(1).get("model_id").asText());
  }

  @Test
  void exllamaV2ReportsPositionScaleAndOffset(@TempDir Path dir) throws IOException {
    Path config = dir.resolve("gemma-3.json");
    Files.copy(ParamsCommandTest.class.getResourceAsStream("/golden/configs/google__gemma-3-27b-it.json"), config);
    Result r = run("params", "--config", config.toString(), "--semantics", "exllamav2", "--context-length",
        "4096", "--alpha", "1.0");
    assertEquals(0, r.status, r.err);
    JsonNode full = r.lines.get(0).get("layers").get(0);
    assertEquals(8.0, full.get("position_scale").asDouble());
    assertEquals(1.0, full.get("position_offset").asDouble());
    JsonNode sliding = r.lines.get(0).get("layers").get(1);
    assertTrue(sliding.get("position_scale") == null, "a scale of 1 is not reported");
  }

  @Test
  void usageErrorsExitWithTwo() throws IOException {
    assertEquals(2, run("params").status);
    assertEquals(2, run("params", "--config", "a.json", "--catalog", "b.jsonl").status);
    Result r = run("params", "--config", "a.json", "--precision", "double");
    assertEquals(2, r.status);
    assertTrue(r.err.contains("unknown precision 'double': expected exact or torch"), r.err);
    assertEquals(2, run("params", "--config", "a.json", "--alpha", "2").status, "alpha needs exllamav2");
    assertEquals(2, run("params", "--config", "a.json", "--bogus").status);
  }

  @Test
  void modelTypeConformanceIsReportedAndUnknownTypesWarnOrRefuse(@TempDir Path dir) throws IOException {
    Path known = dir.resolve("known.json");
    Files.writeString(known, "{\"model_type\": \"llama\", \"hidden_size\": 4096, \"num_attention_heads\": 32, "
        + "\"rope_theta\": 500000.0, \"max_position_embeddings\": 8192}");
    Result r = run("params", "--config", known.toString());
    assertEquals(0, r.status(), r.err());
    assertEquals("known", r.lines().get(0).get("model_type_conformance").textValue());
    assertEquals(ModelTypeConformance.SEMANTICS_VERSION, r.lines().get(0).get("transformers_semantics").textValue());

    Path unknown = dir.resolve("unknown.json");
    Files.writeString(unknown, "{\"model_type\": \"brand_new_lm\", \"hidden_size\": 4096, "
        + "\"num_attention_heads\": 32, \"max_position_embeddings\": 8192}");
    Result warned = run("params", "--config", unknown.toString());
    assertEquals(0, warned.status(), warned.err());
    assertEquals("unknown", warned.lines().get(0).get("model_type_conformance").textValue());
    assertEquals(128, warned.lines().get(0).get("layers").get(0).get("rotary_dim").intValue());
    assertTrue(warned.err().contains("warning: model 'unknown': model_type \"brand_new_lm\" is not in the "
        + "conformance table of transformers 5.18; resolved by the generic rules"), warned.err());

    Result refused = run("params", "--config", unknown.toString(), "--unknown-model-types", "refuse");
    assertEquals(1, refused.status());
    JsonNode error = refused.lines().get(0).get("error");
    assertEquals("model_type", error.get("field").textValue());
    assertEquals("model 'unknown': model_type = \"brand_new_lm\": model_type \"brand_new_lm\" is not in the conformance table of transformers "
        + "5.18, and --unknown-model-types refuse is set", error.get("message").textValue());

    Result usage = run("params", "--config", unknown.toString(), "--unknown-model-types", "ignore");
    assertEquals(2, usage.status());
    assertTrue(usage.err().contains("--unknown-model-types must be warn or refuse, got ignore"), usage.err());
  }
}
