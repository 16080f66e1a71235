package org.ropeforge.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.ResolvedRope;
import org.ropeforge.core.Semantics;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.core.table.RopeTable;
import org.ropeforge.core.table.TableOptions;
import org.ropeforge.core.table.TablePart;

class RopeTableFileTest {
  static final String SHA = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

  @TempDir
  Path dir;

  @Test
  void singleLayerFileHasUnprefixedTensorsAndTheDocumentedMetadata() {
    LayerRope layer = new LayerRope(null, "yarn", 8, frequencies(8, 10000), 1.0, 1.8738542, null, 1.0, 0.0);
    ResolvedRope rope = rope("org/model", 4096, Precision.EXACT, layer);
    RopeTableFile file = RopeTableFile.plan(rope, TableOptions.DEFAULT.withLayout(Layout.NEOX), SHA);

    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("format", "ropeforge-rope-table");
    expected.put("format_version", "3");
    expected.put("ropeforge_version", RopeTableFile.ROPEFORGE_VERSION);
    expected.put("model_id", "org/model");
    expected.put("context_length", "4096");
    expected.put("semantics", "transformers");
    expected.put("transformers_semantics", "5.18");
    expected.put("precision", "exact");
    expected.put("layout", "neox");
    expected.put("dtype", "f32");
    expected.put("config_sha256", SHA);
    expected.put("rope_type", "yarn");
    expected.put("rotary_dim", "8");
    expected.put("attention_factor", "1.0");
    expected.put("softmax_scale", "1.8738542");
    assertEquals(expected, file.header().metadata());
    assertEquals(List.of(
            "inv_freq F32[4] [0, 16)",
            "cos F32[4096, 8] [16, 131088)",
            "sin F32[4096, 8] [131088, 262160)"),
        file.header().tensors().stream().map(Safetensors.TensorInfo::toString).toList());
    assertEquals(file.header().dataStart() + 262160, file.fileSize());
  }

  @Test
  void severalLayerTypesPrefixTheirTensorsAndKeys() {
    LayerRope full = new LayerRope("full_attention", "linear", 4, new double[] {0.125, 0.0125}, 1.0, null, null,
        8.0, 1.0);
    LayerRope sliding = new LayerRope("sliding_attention", "default", 4, new double[] {1.0, 0.01}, 1.0, null,
        null, 1.0, 0.0);
    RopeTableFile file = RopeTableFile.plan(rope("g", 10, Precision.TORCH, full, sliding),
        new TableOptions(Layout.VLLM, Dtype.BF16, Precision.TORCH), SHA);
    assertEquals(List.of("full_attention.inv_freq", "full_attention.cos_sin", "sliding_attention.inv_freq",
        "sliding_attention.cos_sin"), file.header().tensors().stream().map(Safetensors.TensorInfo::name).toList());
    Map<String, String> metadata = file.header().metadata();
    assertEquals("full_attention,sliding_attention", metadata.get("layer_types"));
    assertEquals("linear", metadata.get("full_attention.rope_type"));
    assertEquals("8.0", metadata.get("full_attention.position_scale"));
    assertEquals("1.0", metadata.get("full_attention.position_offset"));
    assertEquals("default", metadata.get("sliding_attention.rope_type"));
    assertTrue(!metadata.containsKey("sliding_attention.position_scale"), "plain positions need no keys");
    assertTrue(!metadata.containsKey("rope_type"), "per-layer keys are all prefixed");
  }

  @Test
  void streamedFileEqualsChunksGeneratedSeparatelyAndPlacedByOffset() throws IOException {
    LayerRope full = new LayerRope("full_attention", "linear", 6, frequencies(6, 1e6), 1.0, null, null, 1.0, 0.0);
    LayerRope sliding = new LayerRope("sliding_attention", "default", 4, frequencies(4, 1e4), 1.3, null, null,
        1.0, 0.0);
    SplittableRandom random = new SplittableRandom(5);
    for (Layout layout : Layout.values()) {
      TableOptions options = new TableOptions(layout, Dtype.values()[layout.ordinal() % Dtype.values().length], Precision.EXACT);
      RopeTableFile plan = RopeTableFile.plan(rope("m", 70_000, Precision.EXACT, full, sliding), options, SHA);
      ByteArrayOutputStream streamed = new ByteArrayOutputStream();
      plan.write(streamed);

      // What the Spark job does: header bytes, then each tensor's rows in chunks from independent generators.
      byte[] placed = new byte[(int) plan.fileSize()];
      byte[] header = plan.header().encode();
      System.arraycopy(header, 0, placed, 0, header.length);
      for (RopeTableFile.Entry entry : plan.entries()) {
        ByteBuffer target = ByteBuffer.wrap(placed).order(ByteOrder.LITTLE_ENDIAN);
        if (!entry.isTable()) {
          target.position((int) plan.header().fileOffset(entry.info(), 0));
          target.put(RopeTableFile.invFreqBytes(entry.layer()));
          continue;
        }
        long row = 0;
        while (row < entry.rows()) {
          long end = Math.min(entry.rows(), row + 1 + random.nextInt(40_000));
          target.position((int) plan.header().fileOffset(entry.info(), row * entry.rowBytes()));
          RopeTable.of(entry.layer(), plan.options()).fill(entry.part(), row, end, target);
          row = end;
        }
      }
      assertArrayEquals(streamed.toByteArray(), placed, layout.toString());

      Path file = dir.resolve(layout.cliName() + ".safetensors");
      Files.write(file, placed);
      Safetensors.Header read = Safetensors.read(file);
      assertEquals(plan.header().metadata(), read.metadata());
      assertEquals(plan.header().tensors(), read.tensors());
    }
  }

  @Test
  void partsOfTheFileHoldTheTableRows() throws IOException {
    LayerRope layer = new LayerRope(null, "default", 6, frequencies(6, 10000), 1.0, null, null, 1.0, 0.0);
    RopeTableFile plan = RopeTableFile.plan(rope("m", 100, Precision.TORCH, layer),
        TableOptions.DEFAULT.withPrecision(Precision.TORCH), SHA);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    plan.write(out);
    ByteBuffer bytes = ByteBuffer.wrap(out.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
    Safetensors.TensorInfo sin = plan.header().tensor("sin");
    bytes.position((int) plan.header().fileOffset(sin, 0));
    ByteBuffer rows = RopeTable.of(layer, plan.options()).rows(TablePart.SIN, 0, 100);
    assertEquals(rows, bytes.slice().limit(rows.remaining()));
    Safetensors.TensorInfo invFreq = plan.header().tensor("inv_freq");
    bytes.position((int) plan.header().fileOffset(invFreq, 0));
    for (int j = 0; j < 3; j++) {
      assertEquals((float) layer.invFreq(j), bytes.getFloat());
    }
  }

  @Test
  void precisionOfParametersAndTableMustAgree() {
    LayerRope layer = new LayerRope(null, "default", 2, new double[] {1.0}, 1.0, null, null, 1.0, 0.0);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RopeTableFile.plan(rope("m", 8, Precision.EXACT, layer),
            TableOptions.DEFAULT.withPrecision(Precision.TORCH), SHA));
    assertEquals("Precision mismatch for model m: parameters exact, table torch", e.getMessage());
  }

  @Test
  void versionInFilesIsThePomVersion() throws IOException {
    String pom = Files.readString(Path.of(System.getProperty("basedir", "."), "pom.xml"), StandardCharsets.UTF_8);
    Matcher m = Pattern.compile("<artifactId>ropeforge</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
    assertTrue(m.find(), "project version not found in pom.xml");
    assertEquals(m.group(1), RopeTableFile.ROPEFORGE_VERSION);
  }

  static ResolvedRope rope(String model, long length, Precision precision, LayerRope... layers) {
    return new ResolvedRope(model, length, Semantics.TRANSFORMERS, precision, List.of(), List.of(),
        new ArrayList<>(List.of(layers)));
  }

  /** Default frequencies rounded to float32, so that the file's F32 inv_freq holds them exactly. */
  static double[] frequencies(int rotaryDim, double base) {
    double[] omega = new double[rotaryDim / 2];
    for (int j = 0; j < omega.length; j++) {
      omega[j] = (float) Math.pow(base, -2.0 * j / rotaryDim);
    }
    return omega;
  }
}
