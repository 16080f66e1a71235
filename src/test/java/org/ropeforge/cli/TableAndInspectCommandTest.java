package org.ropeforge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ropeforge.format.Safetensors;

/** {@code table} and {@code inspect} end to end: config in, file out, the file's values against the golden data. */
class TableAndInspectCommandTest {
  @TempDir
  Path dir;

  private static CommandRun run(BiFunction<PrintStream, PrintStream, Integer> command) {
    return CommandRun.of(command);
  }

  private static CommandRun table(String... args) {
    return run((out, err) -> TableCommand.run(args, out, err));
  }

  private static CommandRun inspect(String... args) {
    return run((out, err) -> InspectCommand.run(args, out, err));
  }

  private Path config(String name) throws IOException {
    Path file = dir.resolve(name + ".json");
    try (InputStream in = getClass().getResourceAsStream("/golden/configs/" + name + ".json")) {
      Files.write(file, in.readAllBytes());
    }
    return file;
  }

  @Test
  void writesTheModelsTableAndItMatchesTheExactGoldenRecord() throws Exception {
    Path config = config("meta-llama__Llama-3.1-8B-Instruct");
    Path out = dir.resolve("llama.safetensors");
    CommandRun result = table("--config", config.toString(), "--context-length", "8192", "--out", out.toString());
    assertEquals(0, result.status(), result.err());
    assertTrue(result.out().startsWith(out + "\t"), result.out());
    assertEquals(List.of("llama.safetensors"), listing(), "no temporary file is left behind");

    Safetensors.Header header = Safetensors.read(out);
    assertEquals("meta-llama__Llama-3.1-8B-Instruct", header.metadata().get("model_id"));
    assertEquals("8192", header.metadata().get("context_length"));
    assertEquals("llama3", header.metadata().get("rope_type"));
    assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(config))),
        header.metadata().get("config_sha256"));
    JsonNode golden = golden("meta-llama__Llama-3.1-8B-Instruct|ctx=8192", "mpmath-exact");
    assertMatches(out, header, "", golden);
  }

  @Test
  void severalLayerTypesGetOneTableEach() throws Exception {
    Path config = config("google__gemma-3-27b-it");
    Path out = dir.resolve("gemma.safetensors");
    CommandRun result = table("--config", config.toString(), "--context-length", "2048", "--out", out.toString(),
        "--precision", "torch", "--layout", "half");
    assertEquals(0, result.status(), result.err());
    Safetensors.Header header = Safetensors.read(out);
    assertEquals("full_attention,sliding_attention", header.metadata().get("layer_types"));
    for (String layer : List.of("full_attention", "sliding_attention")) {
      JsonNode golden = golden("google__gemma-3-27b-it|ctx=2048|" + layer, "transformers-5.17.0-cpu-fp32");
      assertMatches(out, header, layer + ".", golden);
    }
  }

  @Test
  void inspectPrintsHeaderMetadataAndFirstAndLastRows() throws IOException {
    Path out = dir.resolve("t.safetensors");
    assertEquals(0, table("--config", config("microsoft__phi-1").toString(), "--context-length", "16", "--out",
        out.toString(), "--layout", "vllm", "--dtype", "bf16").status());
    CommandRun result = inspect(out.toString());
    assertEquals(0, result.status(), result.err());
    String text = result.out();
    assertTrue(text.contains("  format: ropeforge-rope-table\n"), text);
    assertTrue(text.contains("  layout: vllm\n"), text);
    assertTrue(text.contains("  cos_sin BF16 [16, 32] data_offsets [64, 1088)\n"), text);
    assertTrue(text.contains("  cos_sin[0] = [1.0, 1.0, "), text);
    assertTrue(text.contains("  cos_sin[15] = ["), text);
    assertTrue(text.contains("  inv_freq = [1.0, "), text);
  }

  @Test
  void inspectRefusesInvalidFilesWithTheReadersMessage() throws IOException {
    Path bad = dir.resolve("bad.safetensors");
    Files.write(bad, new byte[] {1, 0, 0, 0, 0, 0, 0, 0, '['});
    CommandRun result = inspect(bad.toString());
    assertEquals(1, result.status());
    assertEquals("ropeforge inspect: Invalid safetensors file " + bad + ": header does not start with '{'\n",
        result.err());
    CommandRun missing = inspect(dir.resolve("none.safetensors").toString());
    assertEquals(1, missing.status());
    assertEquals("ropeforge inspect: no such file " + dir.resolve("none.safetensors") + "\n", missing.err());
    assertEquals(2, inspect().status());
  }

  @Test
  void usageErrorsExitWithTwoAndFailuresWithOne() throws IOException {
    Path out = dir.resolve("x.safetensors");
    CommandRun noOut = table("--config", "c.json", "--context-length", "8");
    assertEquals(2, noOut.status());
    assertTrue(noOut.err().startsWith("ropeforge table: --out is required\nusage: ropeforge table"), noOut.err());
    CommandRun layout = table("--config", "c.json", "--context-length", "8", "--out", out.toString(), "--layout", "x");
    assertEquals(2, layout.status());
    assertTrue(layout.err().startsWith("ropeforge table: Unknown layout 'x' (supported: half, neox, gptj, vllm, pairs)"),
        layout.err());
    CommandRun length = table("--config", "c.json", "--context-length", "0", "--out", out.toString());
    assertEquals(2, length.status());

    CommandRun missing = table("--config", dir.resolve("absent.json").toString(), "--context-length", "8", "--out",
        out.toString());
    assertEquals(1, missing.status());
    assertTrue(missing.err().startsWith("ropeforge table: cannot read " + dir.resolve("absent.json")), missing.err());
    Path broken = dir.resolve("broken.json");
    Files.writeString(broken, "{\"rope_theta\": \"ten\"");
    CommandRun invalid = table("--config", broken.toString(), "--context-length", "8", "--out", out.toString());
    assertEquals(1, invalid.status());
    assertTrue(invalid.err().startsWith("ropeforge table: model 'broken'"), invalid.err());
    assertFalse(Files.exists(out));
    assertEquals(List.of("broken.json"), listing(), "no temporary file is left behind");
  }

  private List<String> listing() throws IOException {
    try (var files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".json")
          || n.equals("broken.json")).sorted().toList();
    }
  }

  /** Every sample position of the golden record, within the golden test's tolerances. */
  private static void assertMatches(Path file, Safetensors.Header header, String prefix, JsonNode golden)
      throws IOException {
    boolean exact = golden.get("reference").asText().equals("mpmath-exact");
    try (FileChannel channel = FileChannel.open(file)) {
      JsonNode positions = golden.get("positions");
      JsonNode invFreq = golden.get("inv_freq");
      for (String part : List.of("cos", "sin")) {
        Safetensors.TensorInfo t = header.tensor(prefix + part);
        long rowBytes = t.byteLength() / t.shape()[0];
        for (int i = 0; i < positions.size(); i++) {
          long p = positions.get(i).asLong();
          ByteBuffer row = Safetensors.readData(channel, header, t, p * rowBytes, (int) rowBytes, file.toString());
          for (int j = 0; j < invFreq.size(); j++) {
            double ref = golden.get(part).get(i).get(j).asDouble();
            double angle = Math.max(1, p * invFreq.get(j).asDouble());
            double tolerance = exact ? Math.ulp((float) ref) + 0x1p-46 * angle : 2 * 0x1p-23 * angle;
            float ours = row.getFloat(4 * j);
            assertTrue(Math.abs(ours - ref) <= tolerance, prefix + part + "[" + p + "][" + j + "] = " + ours
                + ", reference " + ref);
          }
        }
      }
    }
  }

  private static JsonNode golden(String caseName, String reference) throws IOException {
    ObjectMapper mapper = new ObjectMapper();
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(
        TableAndInspectCommandTest.class.getResourceAsStream("/golden/cases.jsonl"), StandardCharsets.UTF_8))) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        if (line.contains("\"case\":\"" + caseName.replace("|", "|") + "\"")) {
          JsonNode node = mapper.readTree(line);
          if (node.get("reference").asText().equals(reference) && node.get("case").asText().equals(caseName)) {
            return node;
          }
        }
      }
    }
    throw new IllegalStateException("No golden record " + caseName + " from " + reference);
  }
}
