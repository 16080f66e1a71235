package org.ropeforge.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.core.table.TableOptions;

/**
 * Files read by an independent implementation: src/test/resources/safetensors_check.py (Python standard library
 * and numpy) parses them by the safetensors rules, decodes every tensor and recomputes the tables in float64
 * from the file's own inv_freq and metadata.
 */
class PythonReaderTest {
  @TempDir
  Path dir;

  @Test
  void pythonReadsEveryLayoutDtypeAndPrecisionAndAgreesWithTheValues() throws Exception {
    String python = pythonWithNumpy();
    LayerRope plain = new LayerRope(null, "llama3", 64, RopeTableFileTest.frequencies(64, 500000), 1.0, null,
        null, 1.0, 0.0);
    LayerRope yarn = new LayerRope(null, "yarn", 16, RopeTableFileTest.frequencies(16, 10000), 1.1386294361119891,
        null, null, 1.0, 0.0);
    LayerRope full = new LayerRope("full_attention", "linear", 8, RopeTableFileTest.frequencies(8, 1e6), 1.0, null,
        null, 8.0, 1.0);
    LayerRope sliding = new LayerRope("sliding_attention", "default", 8, RopeTableFileTest.frequencies(8, 1e4), 1.0,
        null, null, 1.0, 0.0);
    List<RopeTableFile> plans = List.of(
        RopeTableFile.plan(RopeTableFileTest.rope("a/half-f32-exact", 40_000, Precision.EXACT, plain),
            TableOptions.DEFAULT, RopeTableFileTest.SHA),
        RopeTableFile.plan(RopeTableFileTest.rope("a/neox-f16-torch", 5_000, Precision.TORCH, yarn),
            new TableOptions(Layout.NEOX, Dtype.F16, Precision.TORCH), RopeTableFileTest.SHA),
        RopeTableFile.plan(RopeTableFileTest.rope("a/gptj-bf16-exact", 3_000, Precision.EXACT, full, sliding),
            new TableOptions(Layout.GPTJ, Dtype.BF16, Precision.EXACT), RopeTableFileTest.SHA),
        RopeTableFile.plan(RopeTableFileTest.rope("a/vllm-f64-exact", 3_000, Precision.EXACT, full, sliding),
            new TableOptions(Layout.VLLM, Dtype.F64, Precision.EXACT), RopeTableFileTest.SHA),
        RopeTableFile.plan(RopeTableFileTest.rope("a/pairs-f32-exact", 3_000, Precision.EXACT, full, sliding),
            new TableOptions(Layout.PAIRS, Dtype.F32, Precision.EXACT), RopeTableFileTest.SHA),
        RopeTableFile.plan(RopeTableFileTest.rope("a/pairs-bf16-torch", 2_000, Precision.TORCH, yarn),
            new TableOptions(Layout.PAIRS, Dtype.BF16, Precision.TORCH), RopeTableFileTest.SHA),
        RopeTableFile.plan(RopeTableFileTest.rope("a/half-f32-torch", 70_000, Precision.TORCH, yarn),
            TableOptions.DEFAULT.withPrecision(Precision.TORCH), RopeTableFileTest.SHA));
    List<String> command = new ArrayList<>(List.of(python, script().toString()));
    List<Path> files = new ArrayList<>();
    for (RopeTableFile plan : plans) {
      Path file = dir.resolve(plan.rope().modelId().replace('/', '_') + ".safetensors");
      try (OutputStream out = Files.newOutputStream(file)) {
        plan.write(out);
      }
      files.add(file);
      command.add(file.toString());
    }

    JsonNode report = new ObjectMapper().readTree(run(command));
    for (int i = 0; i < plans.size(); i++) {
      RopeTableFile plan = plans.get(i);
      JsonNode checked = report.get("files").get(i);
      String label = plan.rope().modelId();
      assertEquals(plan.header().headerLength(), checked.get("header_length").asLong(), label);
      Map<String, String> metadata = new LinkedHashMap<>();
      checked.get("metadata").fields().forEachRemaining(e -> metadata.put(e.getKey(), e.getValue().asText()));
      assertEquals(plan.header().metadata(), metadata, label);
      JsonNode tensors = checked.get("tensors");
      assertEquals(plan.header().tensors().size(), tensors.size(), label);
      try (FileChannel channel = FileChannel.open(files.get(i))) {
        for (int t = 0; t < tensors.size(); t++) {
          Safetensors.TensorInfo info = plan.header().tensors().get(t);
          JsonNode py = tensors.get(t);
          assertEquals(info.name(), py.get("name").asText(), label);
          assertEquals(info.dtype(), py.get("dtype").asText(), label);
          assertEquals(info.begin(), py.get("data_offsets").get(0).asLong(), label);
          assertEquals(info.end(), py.get("data_offsets").get(1).asLong(), label);
          assertEquals(sha256(channel, plan.header(), info), py.get("sha256").asText(), label + " " + info.name());
        }
      }
      long values = 0;
      for (LayerRope layer : plan.rope().layers()) {
        values += 2 * plan.rope().contextLength() * (layer.rotaryDim() / 2);
      }
      assertEquals(values, checked.get("values_checked").asLong(), label);
      double units = checked.get("max_error_units").asDouble();
      System.out.printf("python check of %s: worst %.3f tolerance units over %d values%n", label, units, values);
      assertTrue(units <= 1.0, label + ": worst error " + units + " tolerance units");
    }
  }

  @Test
  void pythonRejectsWhatTheJavaReaderRejects() throws Exception {
    String python = pythonWithNumpy();
    Path file = dir.resolve("trailing.safetensors");
    LayerRope layer = new LayerRope(null, "default", 2, new double[] {1.0}, 1.0, null, null, 1.0, 0.0);
    try (OutputStream out = Files.newOutputStream(file)) {
      RopeTableFile.plan(RopeTableFileTest.rope("m", 4, Precision.EXACT, layer), TableOptions.DEFAULT,
          RopeTableFileTest.SHA).write(out);
      out.write(0);
    }
    Process process = new ProcessBuilder(python, script().toString(), file.toString()).start();
    String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "python timed out");
    assertEquals(1, process.exitValue(), stderr);
    assertEquals("invalid file " + file + ": data section has 37 bytes, tensors cover 36", stderr.strip());
  }

  private static String pythonWithNumpy() throws InterruptedException {
    try {
      Process probe = new ProcessBuilder("python3", "-c", "import numpy").redirectErrorStream(true).start();
      String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      boolean done = probe.waitFor(60, TimeUnit.SECONDS);
      assumeTrue(done && probe.exitValue() == 0, "Skipped: python3 cannot import numpy: " + output.strip());
    } catch (IOException e) {
      assumeTrue(false, "Skipped: python3 not found: " + e.getMessage());
    }
    return "python3";
  }

  private static Path script() throws URISyntaxException {
    return Path.of(PythonReaderTest.class.getResource("/safetensors_check.py").toURI());
  }

  private static String run(List<String> command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).start();
    byte[] stdout = process.getInputStream().readAllBytes();
    String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "python timed out");
    assertEquals(0, process.exitValue(), "python failed: " + stderr);
    return new String(stdout, StandardCharsets.UTF_8);
  }

  private static String sha256(FileChannel channel, Safetensors.Header header, Safetensors.TensorInfo info)
      throws IOException, NoSuchAlgorithmException {
    ByteBuffer data = Safetensors.readData(channel, header, info, 0, (int) info.byteLength(), "file");
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    digest.update(data);
    return HexFormat.of().formatHex(digest.digest());
  }
}
