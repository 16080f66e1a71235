package org.ropeforge.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.ropeforge.config.GoldenRecords;
import org.ropeforge.spark.output.OutputPaths;

/**
 * The golden reference data as a catalog, and the check of the job's safetensors outputs against it through
 * an independent reader (a Python script with numpy, sharing no code with the writer).
 */
final class GoldenOutputs {
  static final String REFERENCE = "mpmath-exact";

  private GoldenOutputs() {}

  /** The exact-reference records up to {@code maxLength}. */
  static List<JsonNode> records(long maxLength) {
    return records(REFERENCE, maxLength);
  }

  static List<JsonNode> records(String reference, long maxLength) {
    return GoldenRecords.load("cases.jsonl").stream()
        .filter(r -> r.get("reference").asText().equals(reference))
        .filter(r -> r.get("context_length").asLong() <= maxLength)
        .toList();
  }

  static String modelId(JsonNode record) {
    return "golden/" + GoldenRecords.modelId(record);
  }

  /** A JSON-lines catalog naming each config once with all its context lengths; configs written beside it. */
  static Path writeManifestCatalog(Path dir, List<JsonNode> records) throws IOException {
    Map<String, TreeSet<Long>> lengths = new LinkedHashMap<>();
    Map<String, byte[]> configs = new LinkedHashMap<>();
    for (JsonNode r : records) {
      lengths.computeIfAbsent(modelId(r), k -> new TreeSet<>()).add(r.get("context_length").asLong());
      configs.putIfAbsent(modelId(r), GoldenRecords.configBytes(r));
    }
    Files.createDirectories(dir.resolve("configs"));
    StringBuilder manifest = new StringBuilder();
    for (Map.Entry<String, TreeSet<Long>> e : lengths.entrySet()) {
      String file = e.getKey().substring("golden/".length()) + ".json";
      Files.write(dir.resolve("configs").resolve(file), configs.get(e.getKey()));
      ObjectNode line = TestJson.JSON.createObjectNode();
      line.put("model_id", e.getKey());
      line.put("config", "configs/" + file);
      e.getValue().forEach(line.putArray("context_lengths")::add);
      manifest.append(line).append('\n');
    }
    Path path = dir.resolve("catalog.jsonl");
    Files.writeString(path, manifest.toString());
    return path;
  }

  /** Copies the golden configs into a folder tree {@code <org>/<model>/config.json}. */
  static void writeTreeCatalog(Path root) throws IOException {
    Path configs = Path.of("src/test/resources/golden/configs");
    try (var files = Files.list(configs)) {
      for (Path file : files.toList()) {
        String name = file.getFileName().toString().replace(".json", "");
        String[] orgModel = name.split("__", 2);
        Path target = root.resolve(orgModel[0]).resolve(orgModel[1]).resolve("config.json");
        Files.createDirectories(target.getParent());
        Files.copy(file, target);
      }
    }
  }

  /** Reads the named files with the independent reader: file to {metadata, tensors{name: {rows}}}. */
  static JsonNode read(Map<Path, List<Long>> positionsByFile) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("python3",
        Path.of("src/test/resources/read_safetensors.py").toAbsolutePath().toString()));
    for (Map.Entry<Path, List<Long>> e : positionsByFile.entrySet()) {
      command.add(e.getKey() + "=" + String.join(",", e.getValue().stream().map(String::valueOf).toList()));
    }
    Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
    byte[] out;
    try (InputStream in = process.getInputStream()) {
      out = in.readAllBytes();
    }
    String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "reader finished");
    assertEquals(0, process.exitValue(), "independent reader failed: " + err);
    return TestJson.JSON.readTree(out);
  }

  /**
   * Compares every record's cos, sin and inv_freq with the output under {@code out} (f32, half layout): against
   * the exact reference each stored value must be the reference rounded to float32, within one float ulp.
   * Returns the number of values compared.
   */
  static long compare(Path out, List<JsonNode> records) throws IOException, InterruptedException {
    return compare(out, records, GoldenOutputs::modelId);
  }

  /** The model id the golden config has in a folder-tree catalog: {@code org__model.json} is org/model. */
  static String treeModelId(JsonNode record) {
    return record.get("config_file").asText().replaceFirst("\\.json$", "").replaceFirst("__", "/");
  }

  /** As {@link #compare(Path, List)}, with the model id each record's output goes by. */
  static long compare(Path out, List<JsonNode> records, java.util.function.Function<JsonNode, String> idOf)
      throws IOException, InterruptedException {
    Map<Path, List<Long>> positions = new LinkedHashMap<>();
    for (JsonNode r : records) {
      Path file = out.resolve(OutputPaths.safetensors(idOf.apply(r), r.get("context_length").asLong()));
      List<Long> p = new ArrayList<>();
      r.get("positions").forEach(n -> p.add(n.asLong()));
      positions.put(file, p);
    }
    JsonNode files = read(positions);
    long compared = 0;
    for (JsonNode r : records) {
      Path file = out.resolve(OutputPaths.safetensors(idOf.apply(r), r.get("context_length").asLong()));
      JsonNode content = files.get(file.toString());
      String what = r.get("case").asText();
      assertEquals(idOf.apply(r), content.get("metadata").get("model_id").asText(), what);
      assertEquals(r.get("context_length").asText(), content.get("metadata").get("context_length").asText(), what);
      String prefix = GoldenRecords.layerType(r) == null ? "" : GoldenRecords.layerType(r) + ".";
      JsonNode tensors = content.get("tensors");
      compared += compareRows(what + " inv_freq", List.of(r.get("inv_freq")),
          tensors.get(prefix + "inv_freq").get("rows"), null);
      List<JsonNode> cos = new ArrayList<>();
      r.get("cos").forEach(cos::add);
      List<JsonNode> sin = new ArrayList<>();
      r.get("sin").forEach(sin::add);
      double[][] angles = torch(r) ? angles(r) : null;
      compared += compareRows(what + " cos", cos, tensors.get(prefix + "cos").get("rows"), angles);
      compared += compareRows(what + " sin", sin, tensors.get(prefix + "sin").get("rows"), angles);
    }
    return compared;
  }

  private static boolean torch(JsonNode record) {
    return record.get("reference").asText().startsWith("transformers-");
  }

  /** position x inv_freq per sample, for the float32 reference's angle-proportional tolerance. */
  private static double[][] angles(JsonNode record) {
    JsonNode positions = record.get("positions");
    JsonNode inv = record.get("inv_freq");
    double[][] angles = new double[positions.size()][inv.size()];
    for (int i = 0; i < positions.size(); i++) {
      for (int j = 0; j < inv.size(); j++) {
        angles[i][j] = positions.get(i).asDouble() * inv.get(j).asDouble();
      }
    }
    return angles;
  }

  /**
   * Exact references: one float32 ulp. Float32 references (transformers' torch pipeline): the precision's
   * documented bound, 2 * 2^-23 * max(1, angle), as its libm and ours may differ by an ulp of the angle.
   */
  private static long compareRows(String what, List<JsonNode> expected, JsonNode actual, double[][] angles) {
    assertEquals(expected.size(), actual.size(), what);
    long n = 0;
    for (int i = 0; i < expected.size(); i++) {
      JsonNode e = expected.get(i);
      JsonNode a = actual.get(i);
      assertEquals(e.size(), a.size(), what + " row " + i);
      for (int j = 0; j < e.size(); j++) {
        double reference = e.get(j).asDouble();
        double stored = a.get(j).asDouble();
        double ulp = angles == null ? Math.ulp((float) reference)
            : 2 * 0x1p-23 * Math.max(1, Math.abs(angles[i][j]));
        if (!(Math.abs(stored - reference) <= ulp)) {
          throw new AssertionError(what + " row " + i + " column " + j + ": stored " + stored + ", reference "
              + reference + " (float32 ulp " + ulp + ")");
        }
        n++;
      }
    }
    return n;
  }
}
