package org.ropeforge.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ropeforge.core.Precision;
import org.ropeforge.core.Semantics;
import org.ropeforge.hardening.MalformedCorpus;
import org.ropeforge.io.Sha256;
import org.ropeforge.spark.output.OutputPaths;
import org.ropeforge.core.table.Layout;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.spark.plan.OutputFormat;
import org.ropeforge.spark.plan.Problem;
import org.ropeforge.spark.write.SafetensorsTables;
import org.ropeforge.spark.plan.ModelIds;

/**
 * The generated corpus of malformed configs, hostile model ids and duplicates, mixed with good configs, through
 * the real job: one error row per bad entry naming it, the good outputs byte-identical to a run without the bad
 * entries, nothing written outside the output root, and the job (and its JVM) still standing.
 */
class HostileCatalogTest {
  @TempDir Path dir;

  /** Ids that must never become paths, each with the rule that refuses it. */
  static final Map<String, String> HOSTILE_IDS = new LinkedHashMap<>();

  static {
    HOSTILE_IDS.put("../escaped", "has a '..' path segment");
    HOSTILE_IDS.put("org/../../escaped", "has a '..' path segment");
    HOSTILE_IDS.put("..", "has a '..' path segment");
    HOSTILE_IDS.put("/abs/olute", "is absolute");
    HOSTILE_IDS.put("org//double", "has an empty path segment");
    HOSTILE_IDS.put("org/trailing/", "has an empty path segment");
    HOSTILE_IDS.put("org/./dot", "has a '.' path segment");
    HOSTILE_IDS.put("", "is empty");
    HOSTILE_IDS.put("org/ctl\u0001x", "contains control character U+0001");
    HOSTILE_IDS.put("org/new\nline", "contains control character U+000A");
    HOSTILE_IDS.put("org/nul\u0000x", "contains control character U+0000");
    HOSTILE_IDS.put("org\\..\\..\\escaped", "contains '\\'");
    HOSTILE_IDS.put("C:/windows", "contains ':'");
    HOSTILE_IDS.put("file:/etc/x", "contains ':'");
    HOSTILE_IDS.put("%2e%2e/escaped", "contains '%'");
    HOSTILE_IDS.put("org/.hidden", "has a path segment starting with '.'");
    HOSTILE_IDS.put("_temporary/x", "has a path segment starting with '_'");
    HOSTILE_IDS.put("org/" + "x".repeat(ModelIds.MAX_LENGTH), "is longer than 512 characters");
  }

  /** A bad entry: the field its error must name, the rule (when fixed), and whether the field has a value. */
  private record Bad(String id, String field, String rule, boolean hasValue) {}

  private static String line(String id, String config, long... lengths) {
    ObjectNode node = TestJson.JSON.createObjectNode().put("model_id", id).put("config", config);
    var array = node.putArray("context_lengths");
    for (long l : lengths) {
      array.add(l);
    }
    return node.toString();
  }

  @Test
  void hostileEntriesGetOneErrorRowEachAndChangeNoGoodByte() throws IOException {
    Path work = Files.createDirectories(dir.resolve("work"));
    Path configs = Files.createDirectories(work.resolve("configs"));
    List<String> good = new ArrayList<>();
    for (String base : MalformedCorpus.BASES) {
      Files.write(configs.resolve(base), MalformedCorpus.base(base));
      good.add(line("good/" + base.replace(".json", ""), "configs/" + base, 64, 1000));
    }
    good.add(line("dup/model", "configs/" + MalformedCorpus.BASES.get(0), 128));
    List<String> hostile = new ArrayList<>(good);
    List<Bad> bad = new ArrayList<>();
    List<MalformedCorpus.Case> corpus = MalformedCorpus.generate();
    for (MalformedCorpus.Case c : corpus) {
      String file = "bad-" + c.name().replaceAll("[^A-Za-z0-9.=+-]", "_") + ".json";
      Files.write(configs.resolve(file), c.bytes());
      String id = "bad/" + file.replace(".json", "");
      hostile.add(line(id, "configs/" + file, 4096, 200_000));
      bad.add(new Bad(id, c.expectedField(), null, !c.name().contains("/missing-")));
    }
    HOSTILE_IDS.forEach((id, rule) -> {
      hostile.add(line(id, "configs/" + MalformedCorpus.BASES.get(0), 64));
      bad.add(new Bad(id, "model_id", rule, true));
    });
    // A second entry for an id already listed: the first one listed stays, this one is an error row.
    hostile.add(line("dup/model", "configs/" + MalformedCorpus.BASES.get(1), 64));
    bad.add(new Bad("dup/model", "catalog", "more than once", true));
    Files.write(work.resolve("good.jsonl"), good);
    Files.write(work.resolve("hostile.jsonl"), hostile);

    Path reference = dir.resolve("reference-out");
    Run clean = run(work.resolve("good.jsonl"), reference);
    assertEquals(0, clean.exit, clean.err);
    Map<Path, String> before = snapshot(dir);

    Path out = dir.resolve("out");
    Run run = run(work.resolve("hostile.jsonl"), out);

    assertEquals(1, run.exit, "bad rows exceed --max-error-fraction 0:\n" + run.err);
    assertFalse(run.err.contains("\tat "), "no stack trace:\n" + run.err);
    assertTrue(run.err.contains("catalog: " + (good.size() + bad.size()) + " models listed"), run.err);

    List<JsonNode> rows = manifest(out);
    Map<String, List<JsonNode>> errorsById = new HashMap<>();
    List<JsonNode> okRows = new ArrayList<>();
    for (JsonNode row : rows) {
      if (row.get("status").asText().equals("error")) {
        errorsById.computeIfAbsent(row.get("model_id").asText(), k -> new ArrayList<>()).add(row);
      } else {
        okRows.add(row);
      }
    }
    List<String> problems = new ArrayList<>();
    for (Bad b : bad) {
      List<JsonNode> errors = errorsById.getOrDefault(b.id, List.of());
      if (errors.size() != 1) {
        problems.add(printable(b.id) + ": " + errors.size() + " error rows");
        continue;
      }
      JsonNode error = errors.get(0).get("error");
      String message = error.get("message").asText();
      if (!error.get("field").asText().startsWith(b.field)) {
        problems.add(printable(b.id) + ": field " + error.get("field") + ", expected " + b.field);
      }
      if (b.rule != null && !message.contains(b.rule)) {
        problems.add(printable(b.id) + ": message '" + message + "' lacks '" + b.rule + "'");
      }
      if (b.field.equals("model_id") && !error.get("value").asText().equals(b.id)) {
        problems.add(printable(b.id) + ": value " + error.get("value"));
      }
      boolean readError = error.get("field").asText().equals("config");
      if (b.rule == null && !readError && !message.startsWith("model '" + b.id + "': ")) {
        problems.add(printable(b.id) + ": message does not name the model: " + message);
      }
      if (b.hasValue && !b.field.isEmpty() && error.get("value").isNull()) {
        problems.add(printable(b.id) + ": no value in " + error);
      }
    }
    assertTrue(problems.isEmpty(), problems.size() + " problems:\n" + String.join("\n", problems));
    assertEquals(bad.size(), errorsById.values().stream().mapToInt(List::size).sum(), "no other error rows");
    assertTrue(errorsById.get(corpusId(corpus, "huge-100MB")).get(0).get("error").get("message").asText()
        .contains("config is 104857600 bytes, more than the 16777216 allowed"));

    assertEquals(manifest(reference), okRows, "the good models' rows are those of a run without the bad ones");
    Map<String, String> expectedFiles = shas(reference.resolve("safetensors"));
    assertEquals(13, expectedFiles.size());
    assertEquals(expectedFiles, shas(out.resolve("safetensors")), "every good file byte-identical, no other file");
    assertEquals(before, snapshot(dir), "nothing written outside the output root");
    try (Stream<Path> all = Files.walk(out)) {
      assertEquals(List.of(), all.filter(Files::isRegularFile).map(out::relativize).map(Path::toString)
          .filter(p -> !p.startsWith("safetensors/") && !p.equals("manifest.jsonl")
              && !p.equals(OutputPaths.COMPLETE_MARKER)).toList(), "nothing else below the output root");
    }
  }

  private static String corpusId(List<MalformedCorpus.Case> corpus, String suffix) {
    MalformedCorpus.Case c = corpus.stream().filter(x -> x.name().endsWith(suffix)).findFirst().orElseThrow();
    return "bad/bad-" + c.name().replaceAll("[^A-Za-z0-9.=+-]", "_");
  }

  private record Run(int exit, String err) {}

  private static Run run(Path catalog, Path out) {
    JobOptions options = new JobOptions(catalog.toString(), out.toString(), null, Precision.EXACT,
        Semantics.TRANSFORMERS, Layout.HALF, Dtype.F32, Set.of(OutputFormat.SAFETENSORS), false, false, 0.0);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = PrecomputeMain.runJob(SharedSpark.session(), options, SafetensorsTables.FACTORY,
        new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(exit, err.toString(StandardCharsets.UTF_8));
  }

  private static List<JsonNode> manifest(Path out) throws IOException {
    List<JsonNode> rows = new ArrayList<>();
    for (String line : Files.readAllLines(out.resolve("manifest.jsonl"))) {
      rows.add(TestJson.JSON.readTree(line));
    }
    return rows;
  }

  /** Relative path to SHA-256 of every file below {@code root}. */
  private static Map<String, String> shas(Path root) throws IOException {
    Map<String, String> shas = new TreeMap<>();
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.filter(Files::isRegularFile).toList()) {
        shas.put(root.relativize(p).toString(), Sha256.hex(Files.readAllBytes(p)));
      }
    }
    return shas;
  }

  /** Every path below {@code root} outside {@code root/out}, with its size and modification time. */
  private static Map<Path, String> snapshot(Path root) throws IOException {
    Map<Path, String> entries = new TreeMap<>();
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.toList()) {
        if (!p.startsWith(root.resolve("out"))) {
          // A folder's own size and time change when an entry is added below it, as out/ is.
          entries.put(p, Files.isDirectory(p) ? "folder"
              : Files.size(p) + "@" + Files.getLastModifiedTime(p).toMillis());
        }
      }
    }
    return entries;
  }

  private static String printable(String id) {
    return Problem.printable(id.length() > 60 ? id.substring(0, 60) + "..." : id);
  }
}
