package org.ropeforge.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.ResolvedRope;
import org.ropeforge.core.RopeConfigException;
import org.ropeforge.core.Semantics;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.core.table.RopeTable;
import org.ropeforge.core.table.TableOptions;
import org.ropeforge.core.table.TablePart;

/**
 * The vllm semantics against {@code vllm/reference.jsonl}: values that {@code vllm_reference.py} computes with
 * torch from vLLM's formulas, for every rope type vLLM has that ropeforge reproduces, in float32 (torch) and
 * float64 (exact). The test resolves each case's config itself, so the config reading is checked as well.
 */
class VllmSemanticsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void everyVariantMatchesTheReferenceBuiltFromVllmsFormulas() throws IOException {
    List<JsonNode> records = records();
    assertEquals(24, records.size(), "twelve cases in two precisions");
    for (JsonNode record : records) {
      String label = record.get("name").asText() + " " + record.get("precision").asText();
      Precision precision = Precision.parse(record.get("precision").asText());
      ResolvedRope rope = RopeResolver.resolve(config(record), record.get("context_length").asLong(),
          RopeResolver.Options.DEFAULT.withSemantics(Semantics.VLLM).withPrecision(precision));
      assertEquals(Semantics.VLLM, rope.semantics(), label);
      assertEquals(1, rope.layers().size(), label);
      LayerRope layer = rope.layers().get(0);
      assertEquals(record.get("rope_type").asText(), layer.ropeType(), label);
      assertEquals(record.get("rotary_dim").asInt(), layer.rotaryDim(), label);
      assertEquals(record.get("position_scale").asDouble(), layer.positionScale(), 0.0, label);
      double factor = record.get("attention_factor").asDouble();
      assertEquals(factor, layer.attentionFactor(), 1e-12 * factor, label + " attention factor");
      JsonNode invFreq = record.get("inv_freq");
      for (int j = 0; j < invFreq.size(); j++) {
        double expected = invFreq.get(j).asDouble();
        // torch: both sides are float32 values from correctly rounded pow and division (1 ulp allows
        // the one libm); exact: float64 evaluation of the same formulas.
        double bound = precision == Precision.TORCH ? Math.ulp((float) expected) : 1e-14 * expected;
        assertEquals(expected, layer.invFreq(j), bound, label + " inv_freq[" + j + "]");
      }
      RopeTable table = RopeTable.of(layer, new TableOptions(Layout.VLLM, Dtype.F64, precision));
      int half = layer.rotaryDim() / 2;
      JsonNode positions = record.get("positions");
      for (int i = 0; i < positions.size(); i++) {
        long p = positions.get(i).asLong();
        ByteBuffer row = table.rows(TablePart.COS_SIN, p, p + 1);
        JsonNode expectedRow = record.get("cos_sin").get(i);
        for (int k = 0; k < 2 * half; k++) {
          double angle = p / layer.positionScale() * layer.invFreq(k % half);
          // torch's float32 cos/sin are within an ulp or so; ours are correctly rounded (README, Tables)
          double bound = precision == Precision.TORCH
              ? 2 * 0x1p-23 * Math.max(1, Math.abs(angle)) * Math.max(1, factor)
              : 0x1p-44 * Math.max(1, Math.abs(angle)) * Math.max(1, factor);
          assertEquals(expectedRow.get(k).asDouble(), row.getDouble(), bound, label + " row " + p + " col " + k);
        }
      }
    }
  }

  @Test
  void deviationsFromTransformersAreTheDocumentedOnes() throws IOException {
    RopeResolver.Options vllm = RopeResolver.Options.DEFAULT.withSemantics(Semantics.VLLM);
    ModelConfig dynamic = inline("{\"hidden_size\": 1024, \"num_attention_heads\": 16, "
        + "\"max_position_embeddings\": 2048, \"rope_scaling\": {\"rope_type\": \"dynamic\", \"factor\": 2.0}}");
    // One static base: the transformers base at max_position_embeddings x factor, also at short lengths.
    LayerRope atShort = RopeResolver.resolve(dynamic, 1024, vllm).layers().get(0);
    LayerRope transformersAtGrown = RopeResolver.resolve(dynamic, 4096, RopeResolver.Options.DEFAULT).layers().get(0);
    assertEquals(transformersAtGrown.invFreq(31), atShort.invFreq(31), 1e-15 * atShort.invFreq(31));
    LayerRope transformersAtShort = RopeResolver.resolve(dynamic, 1024, RopeResolver.Options.DEFAULT).layers().get(0);
    assertTrue(transformersAtShort.invFreq(31) > atShort.invFreq(31) * 1.5, "transformers keeps the plain base");

    ModelConfig yarn = inline("{\"hidden_size\": 4096, \"num_attention_heads\": 32, "
        + "\"max_position_embeddings\": 8192, \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0, "
        + "\"attention_factor\": 1.5, \"original_max_position_embeddings\": 8192}}");
    ResolvedRope yarnRope = RopeResolver.resolve(yarn, 8192, vllm);
    assertEquals(0.1 * Math.log(4.0) + 1, yarnRope.layers().get(0).attentionFactor(), 1e-15);
    assertEquals(1.5, RopeResolver.resolve(yarn, 8192, RopeResolver.Options.DEFAULT).layers().get(0)
        .attentionFactor(), 0.0);
    assertTrue(yarnRope.warnings().contains(
        "model 'inline': rope_scaling.attention_factor is not read by vLLM's yarn rope"), yarnRope.warnings()::toString);
    assertNull(yarnRope.layers().get(0).softmaxScale());
  }

  @Test
  void lengthsPastVllmsCacheAndTypesWithoutAVllmTwinAreRefusedByName() throws IOException {
    RopeResolver.Options vllm = RopeResolver.Options.DEFAULT.withSemantics(Semantics.VLLM);
    ModelConfig plain = inline("{\"hidden_size\": 1024, \"num_attention_heads\": 16, "
        + "\"max_position_embeddings\": 2048}");
    RopeConfigException tooLong = assertThrows(RopeConfigException.class,
        () -> RopeResolver.resolve(plain, 2049, vllm));
    assertEquals("model 'inline': context_length = 2049 exceeds the 2048 positions of vLLM's cos_sin_cache for "
        + "rope_type 'default' (max_position_embeddings)", tooLong.getMessage());
    ModelConfig gemma4 = inline("{\"hidden_size\": 1024, \"num_attention_heads\": 16, "
        + "\"max_position_embeddings\": 2048, \"rope_parameters\": {\"rope_type\": \"proportional\", "
        + "\"rope_theta\": 1000000.0, \"partial_rotary_factor\": 0.25}}");
    RopeConfigException proportional = assertThrows(RopeConfigException.class,
        () -> RopeResolver.resolve(gemma4, 2048, vllm));
    assertEquals("model 'inline': rope_parameters.rope_type = \"proportional\" has no vLLM implementation that "
        + "ropeforge reproduces (vllm semantics covers default, linear, dynamic, ntk_alpha, yarn, deepseek_yarn, "
        + "longrope, llama3 and mrope)", proportional.getMessage());
  }

  private static ModelConfig inline(String json) {
    return RopeResolver.parse("inline", json.getBytes(StandardCharsets.UTF_8));
  }

  private static ModelConfig config(JsonNode record) throws IOException {
    JsonNode spec = record.get("config");
    if (spec.has("inline")) {
      return RopeResolver.parse(record.get("name").asText(), JSON.writeValueAsBytes(spec.get("inline")));
    }
    try (InputStream in = VllmSemanticsTest.class.getResourceAsStream("/golden/configs/" + spec.get("file").asText())) {
      return RopeResolver.parse(record.get("name").asText(), in.readAllBytes());
    }
  }

  private static List<JsonNode> records() throws IOException {
    List<JsonNode> out = new ArrayList<>();
    try (InputStream in = VllmSemanticsTest.class.getResourceAsStream("/vllm/reference.jsonl");
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        out.add(JSON.readTree(line));
      }
    }
    return out;
  }
}
