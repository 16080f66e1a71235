package org.ropeforge.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ropeforge.core.Precision;
import org.ropeforge.core.Semantics;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.format.GgufConfigTest;
import org.ropeforge.spark.plan.OutputFormat;
import org.ropeforge.spark.write.SafetensorsTables;

/**
 * The job over catalogs that mix GGUF files and config.json files: a folder tree holding a folder of GGUF files,
 * the same models' config.json folders and a forged GGUF, and a manifest naming a GGUF file and a config.json.
 * Each GGUF model's Parquet parameters match its config.json model's; the forged file is one error row.
 */
class GgufJobTest {
  @TempDir Path dir;

  private final SparkSession spark = SharedSpark.session();

  private int run(Path catalog, Path out, ByteArrayOutputStream err) {
    JobOptions options = new JobOptions(catalog.toString(), out.toString(), null, Precision.EXACT,
        Semantics.TRANSFORMERS, Layout.HALF, Dtype.F32, Set.of(OutputFormat.SAFETENSORS, OutputFormat.PARQUET), false,
        false, 0.0);
    return PrecomputeMain.runJob(spark, options, SafetensorsTables.FACTORY,
        new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private static Map<String, String> sources() throws Exception {
    JsonNode node = TestJson.JSON.readTree(GgufConfigTest.GGUF.resolve("sources.json").toFile());
    Map<String, String> sources = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      sources.put(e.getKey(), e.getValue().textValue());
    }
    return sources;
  }

  @Test
  void aFolderTreeOfGgufAndConfigJsonGivesTheSameParameters() throws Exception {
    Path tree = dir.resolve("tree");
    Map<String, String> sources = sources();
    for (Map.Entry<String, String> e : sources.entrySet()) {
      Files.createDirectories(tree.resolve("gguf"));
      Files.copy(GgufConfigTest.GGUF.resolve(e.getKey() + ".gguf"), tree.resolve("gguf/" + e.getKey() + ".gguf"));
      Files.createDirectories(tree.resolve("hf/" + e.getKey()));
      Files.copy(GgufConfigTest.CONFIGS.resolve(e.getValue()), tree.resolve("hf/" + e.getKey() + "/config.json"));
    }
    byte[] forged = Files.readAllBytes(GgufConfigTest.GGUF.resolve("llama-2-7b.gguf"));
    forged[0] = 'X';
    Files.write(tree.resolve("forged.gguf"), forged);
    Path out = dir.resolve("out");
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    assertEquals(1, run(tree, out, err), err.toString(StandardCharsets.UTF_8));

    List<JsonNode> manifest = new java.util.ArrayList<>();
    for (String line : Files.readAllLines(out.resolve("manifest.jsonl"))) {
      manifest.add(TestJson.JSON.readTree(line));
    }
    JsonNode forgedRow = manifest.stream().filter(r -> r.path("model_id").asText().equals("forged")).findFirst()
        .orElseThrow();
    assertEquals("error", forgedRow.path("status").asText());
    assertEquals("header.magic", forgedRow.path("error").path("field").asText());
    assertTrue(forgedRow.path("error").path("message").asText().startsWith("model 'forged': header.magic = "),
        forgedRow.toString());
    assertEquals(1, manifest.stream().filter(r -> r.path("status").asText().equals("error")).count(),
        "only the forged file fails");
    for (Map.Entry<String, String> e : sources.entrySet()) {
      assertSameParameters(out, "gguf/" + e.getKey(), "hf/" + e.getKey(), e.getValue());
    }
  }

  @Test
  void aManifestLineMayNameAGgufFile() throws Exception {
    Path catalog = dir.resolve("catalog");
    Files.createDirectories(catalog);
    Files.copy(GgufConfigTest.GGUF.resolve("phi-3-mini-128k-instruct.gguf"), catalog.resolve("phi3.gguf"));
    String config = "golden/configs/microsoft__Phi-3-mini-128k-instruct.json";
    Files.copy(GgufConfigTest.CONFIGS.resolve(config), catalog.resolve("phi3.json"));
    Files.writeString(catalog.resolve("catalog.jsonl"),
        "{\"model_id\": \"g/phi3\", \"config\": \"phi3.gguf\", \"context_lengths\": [4096, 131072]}\n"
            + "{\"model_id\": \"c/phi3\", \"config\": \"phi3.json\", \"context_lengths\": [4096, 131072]}\n");
    Path out = dir.resolve("out");
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    assertEquals(0, run(catalog.resolve("catalog.jsonl"), out, err), err.toString(StandardCharsets.UTF_8));

    assertSameParameters(out, "g/phi3", "c/phi3", config);
  }

  @Test
  void aSplitModelIsOneModelAndAMissingFirstShardIsAnErrorRow() throws Exception {
    Path tree = dir.resolve("tree");
    String llama = "llama-3.1-8b-instruct";
    String phi = "phi-3-mini-128k-instruct";
    Files.createDirectories(tree.resolve("split"));
    Files.createDirectories(tree.resolve("orphans"));
    Files.createDirectories(tree.resolve("hf/" + llama));
    for (int n = 1; n <= 3; n++) {
      String shard = String.format("%s-%05d-of-00003.gguf", llama, n);
      Files.copy(GgufConfigTest.GGUF.resolve("split/" + shard), tree.resolve("split/" + shard));
      if (n > 1) {
        String phiShard = String.format("%s-%05d-of-00003.gguf", phi, n);
        Files.copy(GgufConfigTest.GGUF.resolve("split/" + phiShard), tree.resolve("orphans/" + phiShard));
      }
    }
    String config = "golden/configs/meta-llama__Llama-3.1-8B-Instruct.json";
    Files.copy(GgufConfigTest.CONFIGS.resolve(config), tree.resolve("hf/" + llama + "/config.json"));
    Path out = dir.resolve("out");
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    assertEquals(1, run(tree, out, err), err.toString(StandardCharsets.UTF_8));

    List<JsonNode> manifest = new java.util.ArrayList<>();
    for (String line : Files.readAllLines(out.resolve("manifest.jsonl"))) {
      manifest.add(TestJson.JSON.readTree(line));
    }
    assertEquals(List.of("hf/" + llama, "orphans/" + phi, "split/" + llama),
        manifest.stream().map(r -> r.path("model_id").asText()).distinct().sorted().toList(),
        "one model per split, named without the shard suffix");
    JsonNode orphan = manifest.stream().filter(r -> r.path("model_id").asText().equals("orphans/" + phi))
        .findFirst().orElseThrow();
    assertEquals("error", orphan.path("status").asText());
    assertEquals("split", orphan.path("error").path("field").asText());
    assertEquals("model 'orphans/" + phi + "': split shard 1, " + phi + "-00001-of-00003.gguf, is missing beside "
        + "its later shards", orphan.path("error").path("message").asText());
    assertEquals(1, manifest.stream().filter(r -> r.path("status").asText().equals("error")).count(),
        manifest.toString());
    assertSameParameters(out, "split/" + llama, "hf/" + llama, config);
  }

  @Test
  void aManifestLineMayNameAFolderHoldingASplit() throws Exception {
    Path catalog = dir.resolve("catalog");
    String phi = "phi-3-mini-128k-instruct";
    Files.createDirectories(catalog.resolve("phi3"));
    Files.createDirectories(catalog.resolve("broken"));
    for (int n = 1; n <= 3; n++) {
      String shard = String.format("%s-%05d-of-00003.gguf", phi, n);
      Files.copy(GgufConfigTest.GGUF.resolve("split/" + shard), catalog.resolve("phi3/" + shard));
      if (n != 2) {
        Files.copy(GgufConfigTest.GGUF.resolve("split/" + shard), catalog.resolve("broken/" + shard));
      }
    }
    String config = "golden/configs/microsoft__Phi-3-mini-128k-instruct.json";
    Files.copy(GgufConfigTest.CONFIGS.resolve(config), catalog.resolve("phi3.json"));
    Files.writeString(catalog.resolve("catalog.jsonl"),
        "{\"model_id\": \"g/phi3\", \"config\": \"phi3\", \"context_lengths\": [4096, 131072]}\n"
            + "{\"model_id\": \"c/phi3\", \"config\": \"phi3.json\", \"context_lengths\": [4096, 131072]}\n"
            + "{\"model_id\": \"b/phi3\", \"config\": \"broken/" + phi + "-00001-of-00003.gguf\"}\n");
    Path out = dir.resolve("out");
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    assertEquals(1, run(catalog.resolve("catalog.jsonl"), out, err), err.toString(StandardCharsets.UTF_8));

    assertSameParameters(out, "g/phi3", "c/phi3", config);
    JsonNode broken = null;
    for (String line : Files.readAllLines(out.resolve("manifest.jsonl"))) {
      JsonNode row = TestJson.JSON.readTree(line);
      if (row.path("model_id").asText().equals("b/phi3")) {
        broken = row;
      }
    }
    assertEquals("error", broken.path("status").asText(), String.valueOf(broken));
    assertEquals("model 'b/phi3': split shard 2 of 3, " + phi + "-00002-of-00003.gguf, is missing beside " + phi
        + "-00001-of-00003.gguf", broken.path("error").path("message").asText());
  }

  private void assertSameParameters(Path out, String ggufId, String configId, String configFile) throws Exception {
    JsonNode config = TestJson.JSON.readTree(GgufConfigTest.CONFIGS.resolve(configFile).toFile());
    double bound = GgufConfigTest.invFreqBound(config, Precision.EXACT);
    List<Row> gguf = params(out, ggufId);
    List<Row> json = params(out, configId);
    assertTrue(!gguf.isEmpty(), ggufId + " has rows");
    // The GGUF model's lengths are the config's, but for llama3's original length, which GGUF does not keep; a
    // model with layer types (Gemma 3) has a row per type and length.
    for (Row g : gguf) {
      Row c = json.stream().filter(r -> r.getLong(r.fieldIndex("context_length"))
          == g.getLong(g.fieldIndex("context_length"))
          && java.util.Objects.equals(r.getAs("layer_type"), g.getAs("layer_type"))).findFirst()
          .orElseThrow(() -> new AssertionError(configId + " has no row at the length " + g.getAs("context_length")
              + " and layer type " + g.getAs("layer_type") + " of " + ggufId));
      assertEquals((int) c.getAs("rotary_dim"), (int) g.getAs("rotary_dim"));
      double attention = c.getAs("attention_factor");
      assertEquals(attention, (double) g.getAs("attention_factor"), 1e-12 * attention);
      List<Double> expected = c.getList(c.fieldIndex("inv_freq"));
      List<Double> actual = g.getList(g.fieldIndex("inv_freq"));
      assertEquals(expected.size(), actual.size());
      for (int i = 0; i < expected.size(); i++) {
        double relative = Math.abs(actual.get(i) - expected.get(i)) / expected.get(i);
        assertTrue(relative <= bound, ggufId + " inv_freq[" + i + "] differs by " + relative + " > " + bound);
      }
    }
  }

  private List<Row> params(Path out, String modelId) {
    return spark.read().parquet(out.resolve("parquet/params").toString())
        .where(org.apache.spark.sql.functions.col("model_id").equalTo(modelId)).orderBy("context_length")
        .collectAsList();
  }
}
