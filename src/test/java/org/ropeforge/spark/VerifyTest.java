package org.ropeforge.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ropeforge.core.Precision;
import org.ropeforge.core.Semantics;
import org.ropeforge.format.Safetensors;
import org.ropeforge.hardening.MalformedCorpus;
import org.ropeforge.io.Sha256;
import org.ropeforge.spark.output.OutputPaths;
import org.ropeforge.core.table.Layout;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.spark.plan.OutputFormat;
import org.ropeforge.spark.write.SafetensorsTables;

/**
 * {@code verify} on a real output root: clean passes; each kind of damage fails with exit 1 and a line that
 * names the damaged file, including damage that keeps the manifest consistent with the file.
 */
class VerifyTest {
  @TempDir static Path dir;

  private static Path clean;

  static final String LLAMA_FILE = "safetensors/org/llama/rope-300.safetensors";
  static final String GEMMA_FILE = "safetensors/org/gemma/rope-64.safetensors";

  @BeforeAll
  static void runJob() throws IOException {
    Path configs = Files.createDirectories(dir.resolve("configs"));
    Files.write(configs.resolve("llama.json"), MalformedCorpus.base("meta-llama__Llama-3.1-8B-Instruct.json"));
    Files.write(configs.resolve("gemma.json"), MalformedCorpus.base("google__gemma-3-27b-it.json"));
    Path catalog = Files.writeString(dir.resolve("catalog.jsonl"), String.join("\n",
        "{\"model_id\": \"org/llama\", \"config\": \"configs/llama.json\", \"context_lengths\": [64, 300]}",
        "{\"model_id\": \"org/gemma\", \"config\": \"configs/gemma.json\", \"context_lengths\": [64]}"));
    clean = dir.resolve("clean");
    JobOptions options = new JobOptions(catalog.toString(), clean.toString(), null, Precision.EXACT,
        Semantics.TRANSFORMERS, Layout.NEOX, Dtype.BF16, Set.of(OutputFormat.SAFETENSORS), false, false, 0.0);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = PrecomputeMain.runJob(SharedSpark.session(), options, SafetensorsTables.FACTORY,
        new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(0, exit, err.toString(StandardCharsets.UTF_8));
  }

  record Result(int exit, String out, String err) {}

  static Result verify(Configuration conf, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = VerifyMain.run(args, conf, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static Path copy(String name) throws IOException {
    Path target = dir.resolve(name);
    try (Stream<Path> files = Files.walk(clean)) {
      for (Path p : files.toList()) {
        Path to = target.resolve(clean.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(to);
        } else {
          Files.copy(p, to);
        }
      }
    }
    return target;
  }

  /** Rewrites the manifest line of {@code file}, e.g. to make it agree with a tampered file. */
  private static void editManifest(Path root, String file, UnaryOperator<ObjectNode> edit) throws IOException {
    Path manifest = root.resolve("manifest.jsonl");
    List<String> lines = new ArrayList<>();
    for (String line : Files.readAllLines(manifest)) {
      ObjectNode node = (ObjectNode) TestJson.JSON.readTree(line);
      JsonNode files = node.path("files");
      lines.add(files.size() == 1 && files.get(0).path("path").asText().equals(file)
          ? TestJson.JSON.writeValueAsString(edit.apply(node)) : line);
    }
    Files.write(manifest, lines);
  }

  /** Makes the manifest's size, file digest and table digests match the file as it now is. */
  private static void agree(Path root, String file) throws IOException {
    byte[] bytes = Files.readAllBytes(root.resolve(file));
    Safetensors.Header header = Safetensors.read(root.resolve(file));
    editManifest(root, file, node -> {
      ((ObjectNode) node.get("files").get(0)).put("bytes", bytes.length).put("sha256", Sha256.hex(bytes));
      List<Safetensors.TensorInfo> tables = header.tensors().stream()
          .filter(t -> !t.name().endsWith("inv_freq")).toList();
      int perLayer = tables.size() / node.get("tables").size();
      for (int l = 0; l < node.get("tables").size(); l++) {
        long from = header.fileOffset(tables.get(l * perLayer), 0);
        Safetensors.TensorInfo last = tables.get(l * perLayer + perLayer - 1);
        long to = header.fileOffset(last, last.byteLength());
        ((ObjectNode) node.get("tables").get(l)).put("sha256",
            Sha256.hex(Arrays.copyOfRange(bytes, (int) from, (int) to)));
      }
      return node;
    });
  }

  private static Result verify(Path root) {
    return verify(new Configuration(), "--out", root.toString());
  }

  private static void assertNames(Result r, String file, String problem) {
    assertEquals(1, r.exit(), r.out() + r.err());
    assertTrue(r.out().lines().anyMatch(l -> l.contains(file + ": ") && l.contains(problem)),
        "a line naming " + file + " with '" + problem + "' in\n" + r.out());
  }

  @Test
  void aCleanOutputPasses() {
    Result r = verify(clean);

    assertEquals(0, r.exit(), r.out() + r.err());
    assertEquals("verify: 3 files checked, 0 mismatches\n", r.out());
  }

  @Test
  void aFlippedDataByteFails() throws IOException {
    Path root = copy("flipped");
    Path file = root.resolve(LLAMA_FILE);
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length / 2] ^= 0x01;
    Files.write(file, bytes);

    Result r = verify(root);

    assertNames(r, LLAMA_FILE, "SHA-256 is ");
    assertTrue(r.out().contains("table of layer 1 has SHA-256 "), r.out());
    assertEquals(2, r.out().lines().count() - 1, "only the flipped file is reported:\n" + r.out());
  }

  @Test
  void aFlippedByteInTheLastRowIsFoundEvenWithAManifestThatAgrees() throws IOException {
    Path root = copy("forged");
    Path file = root.resolve(LLAMA_FILE);
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length - 1] ^= 0x40;
    Files.write(file, bytes);
    agree(root, LLAMA_FILE);

    Result r = verify(root);

    assertNames(r, LLAMA_FILE, "tensor sin row 299 differs from the recomputed row");
  }

  @Test
  void aTruncatedFileFails() throws IOException {
    Path root = copy("truncated");
    Path file = root.resolve(GEMMA_FILE);
    byte[] bytes = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(bytes, bytes.length - 100));

    Result r = verify(root);

    assertNames(r, GEMMA_FILE, "has " + (bytes.length - 100) + " bytes, the manifest says " + bytes.length);
    assertNames(r, GEMMA_FILE, "not a valid safetensors file");
  }

  @Test
  void anEditedAndReEncodedHeaderFailsEvenWithAManifestThatAgrees() throws IOException {
    Path root = copy("metadata");
    Path file = root.resolve(GEMMA_FILE);
    byte[] bytes = Files.readAllBytes(file);
    Safetensors.Header header = Safetensors.read(file);
    Map<String, String> metadata = new LinkedHashMap<>(header.metadata());
    String factor = metadata.put("full_attention.attention_factor", "1.25");
    List<Safetensors.TensorSpec> specs = header.tensors().stream()
        .map(t -> new Safetensors.TensorSpec(t.name(), t.dtype(), t.shape())).toList();
    byte[] reencoded = Safetensors.layout(metadata, specs).encode();
    ByteArrayOutputStream forged = new ByteArrayOutputStream();
    forged.write(reencoded);
    forged.write(bytes, (int) header.dataStart(), (int) header.dataLength());
    Files.write(file, forged.toByteArray());
    agree(root, GEMMA_FILE);

    Result r = verify(root);

    assertNames(r, GEMMA_FILE,
        "metadata 'full_attention.attention_factor' is '1.25', expected '" + factor + "'");
  }

  @Test
  void aManifestShaMismatchFails() throws IOException {
    Path root = copy("manifest-sha");
    editManifest(root, LLAMA_FILE, node -> {
      ((ObjectNode) node.get("files").get(0)).put("sha256", "0".repeat(64));
      return node;
    });

    Result r = verify(root);

    assertNames(r, LLAMA_FILE, "the manifest says " + "0".repeat(64));
  }

  @Test
  void aMissingFileFails() throws IOException {
    Path root = copy("missing");
    Files.delete(root.resolve(LLAMA_FILE));

    Result r = verify(root);

    assertNames(r, LLAMA_FILE, "missing");
  }

  @Test
  void anIncompleteRunFails() throws IOException {
    Path root = copy("incomplete");
    Files.delete(root.resolve(OutputPaths.COMPLETE_MARKER));

    Result r = verify(root);

    assertNames(r, OutputPaths.COMPLETE_MARKER, "missing; the run did not complete");
  }

  @Test
  void aBadCommandLineIsAUsageError() {
    Result none = verify(new Configuration());
    Result unknown = verify(new Configuration(), "--out", clean.toString(), "--samples", "3");
    Result conf = verify(new Configuration(), "--out", clean.toString(), "--conf", "fs.s3a.secret.key");

    assertEquals(2, none.exit());
    assertTrue(none.err().startsWith("ropeforge: Option '--out' is required\nusage: jobs/ropeforge verify"),
        none.err());
    assertEquals(2, unknown.exit());
    assertTrue(unknown.err().startsWith("ropeforge: Unknown argument '--samples'"), unknown.err());
    assertEquals(2, conf.exit());
    assertTrue(conf.err().startsWith("ropeforge: Option '--conf' needs key=value\n"), conf.err());
  }
}
