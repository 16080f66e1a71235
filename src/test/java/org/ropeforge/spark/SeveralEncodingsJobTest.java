package org.ropeforge.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ropeforge.core.Precision;
import org.ropeforge.core.Semantics;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.format.Safetensors;
import org.ropeforge.hardening.MalformedCorpus;
import org.ropeforge.spark.plan.OutputFormat;
import org.ropeforge.spark.plan.Store;
import org.ropeforge.spark.write.SafetensorsTables;

/**
 * Several layouts and dtypes in one run, through the real job: each form's file is byte for byte the file a run
 * of that form alone writes, each table is computed once for all forms, rows name their form, verify checks
 * every form, and a re-run reuses everything, or writes only a form it adds.
 */
class SeveralEncodingsJobTest {
  @TempDir Path dir;

  /** Two models, one of them with two layer types (sliding and full attention), at two and one lengths. */
  private Path catalog() throws IOException {
    Path configs = Files.createDirectories(dir.resolve("configs"));
    Files.write(configs.resolve("llama.json"), MalformedCorpus.base("meta-llama__Llama-3.1-8B-Instruct.json"));
    Files.write(configs.resolve("gemma.json"), MalformedCorpus.base("google__gemma-3-27b-it.json"));
    return Files.writeString(dir.resolve("catalog.jsonl"), String.join("\n",
        "{\"model_id\": \"org/llama\", \"config\": \"configs/llama.json\", \"context_lengths\": [64, 300]}",
        "{\"model_id\": \"org/gemma\", \"config\": \"configs/gemma.json\", \"context_lengths\": [200]}"));
  }

  private static final List<String> OUTPUTS = List.of("org/llama@64", "org/llama@300", "org/gemma@200");

  private static JobOptions options(Path catalog, Path out, Precision precision, List<Layout> layouts,
      List<Dtype> dtypes, Store store) {
    return new JobOptions(catalog.toString(), out.toString(), null, precision, Semantics.TRANSFORMERS, layouts,
        dtypes, Set.of(OutputFormat.SAFETENSORS, OutputFormat.PARQUET), false, false, 0.0, store,
        JobOptions.UNKNOWN_MODEL_TYPES_DEFAULT);
  }

  private static ContentAddressedStoreTest.Run run(JobOptions options) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = PrecomputeMain.runJob(SharedSpark.session(), options, SafetensorsTables.FACTORY,
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    ContentAddressedStoreTest.Run run = new ContentAddressedStoreTest.Run(exit, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
    assertEquals(0, run.exit(), run.err());
    return run;
  }

  private static long summary(ContentAddressedStoreTest.Run run, String label) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(label) + " +(\\d+)$").matcher(run.out());
    assertTrue(m.find(), label + " in\n" + run.out());
    return Long.parseLong(m.group(1));
  }

  @Test
  void exactFormsAreTheBytesOfSingleRunsAndEachTableIsComputedOnce() throws Exception {
    checkAgainstSingleRuns(Precision.EXACT, List.of(Layout.HALF, Layout.VLLM), List.of(Dtype.F32, Dtype.BF16));
  }

  @Test
  void torchFormsOfOnlyTwoTensorLayoutsAreTheBytesOfSingleRuns() throws Exception {
    checkAgainstSingleRuns(Precision.TORCH, List.of(Layout.NEOX, Layout.GPTJ), List.of(Dtype.F16, Dtype.F64));
  }

  @Test
  void torchFormsOfOnlyOneTensorLayoutsAreTheBytesOfSingleRuns() throws Exception {
    checkAgainstSingleRuns(Precision.TORCH, List.of(Layout.PAIRS, Layout.VLLM), List.of(Dtype.F32));
  }

  private void checkAgainstSingleRuns(Precision precision, List<Layout> layouts, List<Dtype> dtypes)
      throws Exception {
    Path catalog = catalog();
    Path multi = dir.resolve("multi");
    ContentAddressedStoreTest.Run several = run(options(catalog, multi, precision, layouts, dtypes,
        Store.PER_MODEL));
    int forms = layouts.size() * dtypes.size();
    assertTrue(several.err().contains("manifest: " + 3 * forms + " rows (" + 3 * forms + " ok, 0 skipped, 0 errors)"),
        several.err());
    Map<String, JsonNode> rows = manifest(multi);
    for (Layout layout : layouts) {
      for (Dtype dtype : dtypes) {
        Path single = dir.resolve("single-" + layout.cliName() + "-" + dtype.cliName());
        ContentAddressedStoreTest.Run alone = run(options(catalog, single, precision, List.of(layout),
            List.of(dtype), Store.PER_MODEL));
        assertEquals(summary(alone, "layer tables computed"), summary(several, "layer tables computed"),
            "one run of " + forms + " forms computes the tables a run of one form computes");
        Map<String, JsonNode> singleRows = manifest(single);
        for (String output : OUTPUTS) {
          String model = output.substring(0, output.indexOf('@'));
          String length = output.substring(output.indexOf('@') + 1);
          String form = layout.cliName() + "-" + dtype.cliName();
          byte[] expected = Files.readAllBytes(single.resolve("safetensors/" + model + "/rope-" + length
              + ".safetensors"));
          String path = "safetensors/" + model + "/rope-" + length + "-" + form + ".safetensors";
          assertArrayEquals(expected, Files.readAllBytes(multi.resolve(path)), path);
          JsonNode row = rows.get(output + "/" + form);
          JsonNode singleRow = singleRows.get(output + "/null");
          assertEquals(path, row.get("files").get(0).get("path").asText());
          assertEquals(layout.cliName(), row.get("layout").asText());
          assertEquals(dtype.cliName(), row.get("dtype").asText());
          assertEquals(singleRow.get("input_sha256"), row.get("input_sha256"), "a form's fingerprint is its own");
          assertEquals(singleRow.get("tables"), row.get("tables"));
          assertEquals(singleRow.get("files").get(0).get("sha256"), row.get("files").get(0).get("sha256"));
        }
      }
    }
    assertEquals(3 * forms, rows.size());
    assertTrue(summary(several, "layer tables computed") > 0);

    List<Row> params = SharedSpark.session().read().parquet(multi.resolve("parquet/params").toString())
        .select("model_id", "context_length", "layout", "dtype", "layer_type", "safetensors_path").collectAsList();
    // One row per (model, length, form, layer type): Llama has one layer type at two lengths, Gemma 3 two at one.
    assertEquals(4 * forms, params.size());
    Set<String> pathsOfParams = new TreeSet<>();
    for (Row r : params) {
      String form = r.getString(2) + "-" + r.getString(3);
      assertTrue(r.getString(5).endsWith("rope-" + r.getLong(1) + "-" + form + ".safetensors"), r.toString());
      pathsOfParams.add(r.getString(5));
    }
    assertEquals(3 * forms, pathsOfParams.size());

    VerifyTest.Result verified = VerifyTest.verify(new Configuration(), "--out", multi.toString());
    assertEquals(0, verified.exit(), verified.out() + verified.err());
  }

  @Test
  void aReRunReusesEveryFormAndOneAddingADtypeWritesOnlyThatDtype() throws Exception {
    Path catalog = catalog();
    Path out = dir.resolve("out");
    List<Layout> layouts = List.of(Layout.VLLM, Layout.NEOX);
    ContentAddressedStoreTest.Run first = run(options(catalog, out, Precision.EXACT, layouts,
        List.of(Dtype.BF16, Dtype.F32), Store.PER_MODEL));
    assertTrue(first.err().contains("manifest: 12 rows (12 ok, 0 skipped, 0 errors)"), first.err());
    Map<String, FileTime> written = modified(out);
    assertEquals(12, written.size());

    ContentAddressedStoreTest.Run again = run(options(catalog, out, Precision.EXACT, layouts,
        List.of(Dtype.BF16, Dtype.F32), Store.PER_MODEL));
    assertTrue(again.err().contains("manifest: 12 rows (0 ok, 12 skipped, 0 errors)"), again.err());
    assertEquals(0, summary(again, "layer tables computed"));
    assertEquals(written, modified(out));

    ContentAddressedStoreTest.Run added = run(options(catalog, out, Precision.EXACT, layouts,
        List.of(Dtype.BF16, Dtype.F32, Dtype.F16), Store.PER_MODEL));
    assertTrue(added.err().contains("manifest: 18 rows (6 ok, 12 skipped, 0 errors)"), added.err());
    assertEquals(summary(first, "layer tables computed"), summary(added, "layer tables computed"),
        "the new dtype's tables computed once for both layouts");
    Map<String, FileTime> after = modified(out);
    assertEquals(18, after.size());
    for (Map.Entry<String, FileTime> file : written.entrySet()) {
      assertEquals(file.getValue(), after.get(file.getKey()), file.getKey() + " kept");
    }
    assertEquals(6, after.keySet().stream().filter(p -> p.endsWith("-f16.safetensors")).count());
    for (JsonNode row : manifest(out).values()) {
      assertEquals(row.get("dtype").asText().equals("f16") ? "ok" : "skipped", row.get("status").asText(),
          row.toString());
    }
    VerifyTest.Result verified = VerifyTest.verify(new Configuration(), "--out", out.toString());
    assertEquals(0, verified.exit(), verified.out() + verified.err());
  }

  @Test
  void theContentAddressedStoreHasOneFilePerDistinctTableLayoutAndDtype() throws Exception {
    Path catalog = catalog();
    Path out = dir.resolve("ca");
    run(options(catalog, out, Precision.EXACT, List.of(Layout.HALF, Layout.PAIRS), List.of(Dtype.F32, Dtype.F16),
        Store.CONTENT_ADDRESSED));
    Map<String, JsonNode> rows = manifest(out);
    assertEquals(12, rows.size());
    Map<String, String> formOfFile = new TreeMap<>();
    for (JsonNode row : rows.values()) {
      formOfFile.put(row.get("files").get(0).get("path").asText(),
          row.get("layout").asText() + "/" + row.get("dtype").asText());
    }
    assertEquals(12, formOfFile.size(), "three tables in four forms: " + formOfFile);
    for (Map.Entry<String, String> file : formOfFile.entrySet()) {
      Safetensors.Header header = Safetensors.read(out.resolve(file.getKey()));
      assertEquals(file.getValue(), header.metadata().get("layout") + "/" + header.metadata().get("dtype"));
    }
    try (Stream<Path> files = Files.list(out.resolve("tables"))) {
      assertEquals(12, files.count());
    }
    VerifyTest.Result verified = VerifyTest.verify(new Configuration(), "--out", out.toString());
    assertEquals(0, verified.exit(), verified.out() + verified.err());
  }

  @Test
  void verifyNamesAFormMissingFromTheManifest() throws Exception {
    Path catalog = catalog();
    Path out = dir.resolve("out");
    run(options(catalog, out, Precision.EXACT, List.of(Layout.HALF), List.of(Dtype.F32, Dtype.BF16),
        Store.PER_MODEL));
    Path manifest = out.resolve("manifest.jsonl");
    List<String> kept = new ArrayList<>();
    for (String line : Files.readAllLines(manifest)) {
      if (!(line.contains("\"org/gemma\"") && line.contains("\"dtype\":\"bf16\""))) {
        kept.add(line);
      }
    }
    assertEquals(5, kept.size());
    Files.write(manifest, kept);
    VerifyTest.Result verified = VerifyTest.verify(new Configuration(), "--out", out.toString());
    assertEquals(1, verified.exit(), verified.out() + verified.err());
    assertTrue(verified.out().lines().anyMatch(l -> l.contains("manifest.jsonl: ")
        && l.endsWith("'org/gemma' at 200 has rows of [half-f32] but none of [half-bf16]")), verified.out());
  }

  /** Manifest rows by {@code model@length/form} ({@code null} for a row that names no form). */
  private static Map<String, JsonNode> manifest(Path out) throws IOException {
    Map<String, JsonNode> rows = new TreeMap<>();
    for (String line : Files.readAllLines(out.resolve("manifest.jsonl"))) {
      JsonNode row = TestJson.JSON.readTree(line);
      String form = row.has("layout") ? row.get("layout").asText() + "-" + row.get("dtype").asText() : "null";
      rows.put(row.get("model_id").asText() + "@" + row.get("context_length").asLong() + "/" + form, row);
    }
    return rows;
  }

  private static Map<String, FileTime> modified(Path out) throws IOException {
    Map<String, FileTime> times = new TreeMap<>();
    try (Stream<Path> files = Files.walk(out.resolve("safetensors"))) {
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        times.put(out.relativize(p).toString(), Files.getLastModifiedTime(p));
      }
    }
    return times;
  }
}
