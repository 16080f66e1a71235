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
    assertEquals(46, records.size(), "twenty-three cases in two precisions");
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
      double worstUlps = 1;
      for (int j = 0; j < invFreq.size(); j++) {
        double expected = invFreq.get(j).asDouble();
        // torch: both sides are float32 values from correctly rounded pow and division (1 ulp allows
        // the one libm); exact: float64 evaluation of the same formulas.
        double ulps = torchUlps(layer.ropeType(), expected);
        worstUlps = Math.max(worstUlps, ulps);
        double bound = precision == Precision.TORCH ? ulps * Math.ulp((float) expected) : 1e-14 * expected;
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
              ? 2 * worstUlps * 0x1p-23 * Math.max(1, Math.abs(angle)) * Math.max(1, factor)
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
    ModelConfig llama4Vision = inline("{\"hidden_size\": 1024, \"num_attention_heads\": 16, "
        + "\"max_position_embeddings\": 2048, \"rope_parameters\": {\"rope_type\": \"mllama4\", "
        + "\"rope_theta\": 10000.0}}");
    RopeConfigException mllama4 = assertThrows(RopeConfigException.class,
        () -> RopeResolver.resolve(llama4Vision, 2048, vllm));
    assertEquals("model 'inline': rope_parameters.rope_type = \"mllama4\" is refused: vLLM's "
        + "Llama4VisionRotaryEmbedding is the vision encoder's 2-D RoPE, whose cache is indexed by image patch (x, y) "
        + "coordinates, not by a token position; it has no position table", mllama4.getMessage());
    ModelConfig unknown = inline("{\"hidden_size\": 1024, \"num_attention_heads\": 16, "
        + "\"max_position_embeddings\": 2048, \"rope_parameters\": {\"rope_type\": \"ntk\", \"factor\": 2.0}}");
    RopeConfigException transformersOnly = assertThrows(RopeConfigException.class,
        () -> RopeResolver.resolve(unknown, 2048, RopeResolver.Options.DEFAULT));
    assertEquals("model 'inline': rope_parameters.rope_type = \"ntk\" exists only in vLLM "
        + "(NTKScalingRotaryEmbedding): transformers has no such rope_type; resolve it with the vllm semantics",
        transformersOnly.getMessage());
  }

  @Test
  void whatVllmBuildsWithoutAStaticTableIsRefusedByNameAndReason() {
    RopeResolver.Options vllm = RopeResolver.Options.DEFAULT.withSemantics(Semantics.VLLM);
    ModelConfig dualChunk = inline("{\"model_type\": \"qwen2\", \"hidden_size\": 1024, "
        + "\"num_attention_heads\": 16, \"max_position_embeddings\": 1010000, \"rope_theta\": 10000000.0, "
        + "\"dual_chunk_attention_config\": {\"chunk_size\": 262144, \"local_size\": 8192}}");
    RopeConfigException dca = assertThrows(RopeConfigException.class,
        () -> RopeResolver.resolve(dualChunk, 32768, vllm));
    assertEquals("model 'inline': dual_chunk_attention_config is refused: with dual chunk attention vLLM builds "
        + "DualChunkRotaryEmbedding, five caches of plain RoPE rows at positions remapped per chunk (p mod "
        + "(chunk_size - local_size) for keys and queries, shifted and clamped for the successor and inter-chunk "
        + "queries); no table indexed by the token position holds them", dca.getMessage());
    assertEquals(1, RopeResolver.resolve(dualChunk, 32768, RopeResolver.Options.DEFAULT).layers().size(),
        "transformers has no dual chunk attention and reads the plain rope");

    ModelConfig fope = inline("{\"hidden_size\": 1024, \"num_attention_heads\": 16, "
        + "\"max_position_embeddings\": 2048, \"rope_parameters\": {\"rope_type\": \"default\", "
        + "\"rope_theta\": 10000.0, \"use_fope\": true}}");
    RopeConfigException fourier = assertThrows(RopeConfigException.class, () -> RopeResolver.resolve(fope, 2048, vllm));
    assertEquals("model 'inline': rope_parameters.use_fope = true is refused: vLLM's FourierRotaryEmbedding mixes "
        + "the frequencies with learned coefficients from the checkpoint weights, which a config does not hold",
        fourier.getMessage());

    ModelConfig pangu = inline("{\"hidden_size\": 4096, \"num_attention_heads\": 32, "
        + "\"max_position_embeddings\": 2048, \"rope_parameters\": {\"rope_type\": \"openpangu\", "
        + "\"rope_theta\": 10000.0, \"mrope_section\": [16, 24, 24]}}");
    RopeConfigException notInterleaved = assertThrows(RopeConfigException.class,
        () -> RopeResolver.resolve(pangu, 2048, vllm));
    assertEquals("model 'inline': rope_parameters.mrope_interleaved = null is refused: vLLM's openpangu rope needs "
        + "mrope_section and mrope_interleaved = true (\"Pangu mrope lacks necessary parameters\")",
        notInterleaved.getMessage());

    ModelConfig grok = inline("{\"architectures\": [\"Grok1ForCausalLM\"], \"hidden_size\": 6144, "
        + "\"num_attention_heads\": 48, \"max_position_embeddings\": 8192, \"rope_type\": \"yarn_cubic\", "
        + "\"scaling_factor\": 2.0, \"original_max_position_embeddings\": 4096}");
    RopeConfigException method = assertThrows(RopeConfigException.class, () -> RopeResolver.resolve(grok, 8192, vllm));
    assertEquals("model 'inline': rope_type = \"yarn_cubic\" is not an extrapolation method of vLLM's Grok-1 rope "
        + "(original, yarn, yarn_linear, yarn_log, theta_scale)", method.getMessage());

    ModelConfig bailingYarn = inline("{\"model_type\": \"bailing_moe_v3\", \"hidden_size\": 4096, "
        + "\"num_attention_heads\": 32, \"qk_rope_head_dim\": 64, \"max_position_embeddings\": 32768, "
        + "\"rope_parameters\": {\"rope_type\": \"yarn\", \"rope_theta\": 6000000.0, \"factor\": 2.0, "
        + "\"original_max_position_embeddings\": 16384, \"mrope_section\": [8, 12, 12]}}");
    RopeConfigException bailing = assertThrows(RopeConfigException.class,
        () -> RopeResolver.resolve(bailingYarn, 32768, vllm));
    assertEquals("model 'inline': rope_parameters.rope_type = \"yarn\" is refused: vLLM's Bailing M-RoPE (multi-head "
        + "latent attention) only supports rope_type 'default'", bailing.getMessage());
  }

  @Test
  void ernie45VlResolvesAsForTransformersWithItsAlternatingAxes() {
    ModelConfig ernie = inline("{\"model_type\": \"ernie4_5_vl_moe\", \"hidden_size\": 2560, "
        + "\"num_attention_heads\": 20, \"max_position_embeddings\": 131072, \"rope_parameters\": {"
        + "\"rope_type\": \"default\", \"rope_theta\": 500000.0, \"mrope_section\": [22, 22, 20]}}");
    LayerRope vllm = RopeResolver.resolve(ernie, 4096, RopeResolver.Options.DEFAULT.withSemantics(Semantics.VLLM))
        .layers().get(0);
    LayerRope transformers = RopeResolver.resolve(ernie, 4096, RopeResolver.Options.DEFAULT).layers().get(0);
    // Ernie4_5_VLRotaryEmbedding: cos[..., :h+w:2] from the h row, cos[..., 1:h+w:2] from the w row, the last t
    // from the t row, over the plain ascending cache.
    byte[] expected = new byte[64];
    for (int j = 0; j < 44; j++) {
      expected[j] = j % 2 == 0 ? LayerRope.AXIS_H : LayerRope.AXIS_W;
    }
    assertEquals(java.util.Arrays.toString(expected), java.util.Arrays.toString(vllm.mropeAxis()));
    assertEquals(java.util.Arrays.toString(transformers.mropeAxis()), java.util.Arrays.toString(vllm.mropeAxis()));
    for (int j = 0; j < 64; j++) {
      assertEquals(Math.pow(500000.0, -2.0 * j / 128), vllm.invFreq(j), 1e-15 * vllm.invFreq(j));
    }
  }

  @Test
  void whatATableDoesNotCarryOfVllmsUseIsAWarning() {
    RopeResolver.Options vllm = RopeResolver.Options.DEFAULT.withSemantics(Semantics.VLLM);
    ResolvedRope xd = RopeResolver.resolve(inline("{\"hidden_size\": 4096, \"num_attention_heads\": 32, "
        + "\"max_position_embeddings\": 2048, \"rope_parameters\": {\"rope_type\": \"xdrope\", "
        + "\"rope_theta\": 10000.0, \"alpha\": 1000.0, \"xdrope_section\": [16, 16, 16, 16]}}"), 2048, vllm);
    assertEquals(List.of("model 'inline': rope_parameters.xdrope_section = [16, 16, 16, 16] is not carried: vLLM "
        + "indexes the table with one position row per section (P, W, H, T); the table is vLLM's cos_sin_cache, "
        + "whose rows serve text positions as they are"), xd.warnings());
    assertNull(xd.layers().get(0).mropeSection());

    ResolvedRope pangu = RopeResolver.resolve(inline("{\"hidden_size\": 4096, \"num_attention_heads\": 32, "
        + "\"max_position_embeddings\": 2048, \"rope_parameters\": {\"rope_type\": \"openpangu\", "
        + "\"rope_theta\": 10000.0, \"mrope_section\": [16, 24, 24], \"mrope_interleaved\": true}}"), 2048, vllm);
    assertEquals(List.of("model 'inline': rope_parameters.mrope_section = [16, 24, 24] is not carried: openPangu "
        + "interleaves its sections in an order of its own; the table is vLLM's cos_sin_cache, whose rows serve text "
        + "positions as they are"), pangu.warnings());
    assertNull(pangu.layers().get(0).mropeSection(), "Qwen3-VL's interleaving would name the wrong axes");

    ResolvedRope bailingMrope = RopeResolver.resolve(inline("{\"model_type\": \"bailing_moe_v3\", "
        + "\"hidden_size\": 4096, \"num_attention_heads\": 32, \"qk_rope_head_dim\": 64, "
        + "\"max_position_embeddings\": 32768, \"rope_parameters\": {\"rope_type\": \"default\", "
        + "\"rope_theta\": 6000000.0, \"mrope_section\": [8, 12, 12]}}"), 32768, vllm);
    assertEquals(List.of("model 'inline': rope_parameters.mrope_section = [8, 12, 12] is not carried: Bailing "
        + "alternates its first h + w frequencies between the h and w position rows; the table is vLLM's "
        + "cos_sin_cache, whose rows serve text positions as they are"), bailingMrope.warnings());

    ResolvedRope gemma4 = RopeResolver.resolve(inline("{\"hidden_size\": 4096, \"num_attention_heads\": 16, "
        + "\"head_dim\": 256, \"max_position_embeddings\": 2048, \"rope_parameters\": {\"rope_type\": "
        + "\"proportional\", \"rope_theta\": 1000000.0, \"partial_rotary_factor\": 0.25, \"factor\": 2.0}}"), 2048,
        vllm);
    assertEquals(List.of("model 'inline': rope_parameters.factor is not read by vLLM's proportional rope"),
        gemma4.warnings());
    LayerRope transformers = RopeResolver.resolve(inline("{\"hidden_size\": 4096, \"num_attention_heads\": 16, "
        + "\"head_dim\": 256, \"max_position_embeddings\": 2048, \"rope_parameters\": {\"rope_type\": "
        + "\"proportional\", \"rope_theta\": 1000000.0, \"partial_rotary_factor\": 0.25, \"factor\": 2.0}}"), 2048,
        RopeResolver.Options.DEFAULT).layers().get(0);
    assertEquals(transformers.invFreq(5) * 2, gemma4.layers().get(0).invFreq(5), 1e-15 * transformers.invFreq(5),
        "transformers divides by factor, vLLM does not");

    ResolvedRope grok = RopeResolver.resolve(inline("{\"architectures\": [\"Grok1ForCausalLM\"], "
        + "\"hidden_size\": 6144, \"num_attention_heads\": 48, \"max_position_embeddings\": 8192, "
        + "\"rope_type\": \"yarn\", \"scaling_factor\": 2.0, \"original_max_position_embeddings\": 4096}"), 8192,
        vllm);
    assertEquals(List.of("model 'inline': vLLM's Grok-1 cache leaves out YaRN's magnitude scale ("
        + (0.1 * Math.log(2.0) + 1.0) + " from scaling_factor and attn_factor): attention factor 1"), grok.warnings());
    assertEquals(1.0, grok.layers().get(0).attentionFactor(), 0.0);

    ModelConfig grokPlain = inline("{\"architectures\": [\"Grok1ForCausalLM\"], \"hidden_size\": 6144, "
        + "\"num_attention_heads\": 48, \"head_dim\": 64, \"max_position_embeddings\": 8192}");
    assertEquals(128, RopeResolver.resolve(grokPlain, 8192, vllm).layers().get(0).rotaryDim(),
        "Grok1Attention rotates hidden_size // num_attention_heads");
    assertEquals(64, RopeResolver.resolve(grokPlain, 8192, RopeResolver.Options.DEFAULT).layers().get(0).rotaryDim());

    ModelConfig bailingV3 = inline("{\"model_type\": \"bailing_moe_v3\", \"hidden_size\": 4096, "
        + "\"num_attention_heads\": 32, \"qk_rope_head_dim\": 64, \"partial_rotary_factor\": 0.5, "
        + "\"max_position_embeddings\": 32768, \"rope_theta\": 6000000.0}");
    ResolvedRope wholeHead = RopeResolver.resolve(bailingV3, 32768, vllm);
    assertEquals(64, wholeHead.layers().get(0).rotaryDim());
    assertTrue(wholeHead.warnings().contains(
        "model 'inline': partial_rotary_factor is not read by vLLM's default rope"), wholeHead.warnings()::toString);
    assertEquals(32, RopeResolver.resolve(bailingV3, 32768, RopeResolver.Options.DEFAULT).layers().get(0).rotaryDim(),
        "transformers applies partial_rotary_factor");
  }

  /**
   * The float32 ulps by which torch's and our inv_freq may differ in torch precision. One for the formulas that end
   * in one rounding after torch's pow (whose libm may be 1 ulp off a correctly rounded pow). Two for vLLM's fixed
   * ntk, which divides the reciprocal once more (the pow's ulp survives the reciprocal, the division adds one
   * rounding). Grok-1's yarn_log blends logarithms and exponentiates: each float32 log (torch's libm within 1 ulp,
   * ours within half an ulp after rounding) errs by up to 1.5 ulps of |ln ω|, the weighted sum by as much again, and
   * exp turns that absolute error into a relative one, plus its own rounding: 3·|ln ω| + 2 ulps.
   */
  private static double torchUlps(String ropeType, double expected) {
    return switch (ropeType) {
      case "ntk" -> 2;
      case "grok1_yarn_log" -> 3 * Math.abs(Math.log(expected)) + 2;
      default -> 1;
    };
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
