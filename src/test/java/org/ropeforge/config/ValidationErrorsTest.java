package org.ropeforge.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.ropeforge.core.Precision;
import org.ropeforge.core.ResolvedRope;
import org.ropeforge.core.RopeConfigException;
import org.ropeforge.core.Semantics;

/** One test per refusal: each asserts the exception type, and the field, value and message it carries. */
class ValidationErrorsTest {
  private static final String LLAMA = "\"model_type\": \"llama\", \"hidden_size\": 4096, "
      + "\"num_attention_heads\": 32, \"max_position_embeddings\": 8192, \"rope_theta\": 500000.0";

  private static ResolvedRope resolve(String json, long length) {
    ModelConfig c = RopeResolver.parse("x", json.getBytes(StandardCharsets.UTF_8));
    return RopeResolver.resolve(c, length, RopeResolver.Options.DEFAULT);
  }

  private static RopeConfigException refused(String json) {
    return assertThrows(RopeConfigException.class, () -> resolve(json, 4096));
  }

  @Test
  void unknownRopeTypeIsRefused() {
    RopeConfigException e = refused("{" + LLAMA + ", \"rope_scaling\": {\"rope_type\": \"wavy\", \"factor\": 2}}");
    assertEquals("rope_scaling.rope_type", e.field());
    assertEquals("\"wavy\"", e.value());
    assertEquals("model 'x': rope_scaling.rope_type = \"wavy\" is not a known RoPE variant (known: default, "
        + "linear, dynamic, ntk_alpha, yarn, longrope, llama3, proportional)", e.getMessage());
  }

  @Test
  void fopeIsRefusedBecauseItNeedsWeights() {
    RopeConfigException e = refused("{" + LLAMA + ", \"rope_parameters\": {\"rope_type\": \"fope\"}}");
    assertEquals("model 'x': rope_parameters.rope_type = \"fope\" is refused: this variant needs learned "
        + "cos/sin coefficients from the checkpoint weights, which a config does not hold", e.getMessage());
  }

  @Test
  void conflictingTypeAndRopeTypeAreRefused() {
    RopeConfigException e = refused("{" + LLAMA
        + ", \"rope_scaling\": {\"type\": \"linear\", \"rope_type\": \"dynamic\", \"factor\": 2}}");
    assertEquals("rope_scaling.type", e.field());
    assertEquals("model 'x': rope_scaling.type = \"linear\" conflicts with rope_scaling.rope_type = \"dynamic\"",
        e.getMessage());
  }

  @Test
  void equalTypeAndRopeTypeAreAccepted() {
    ResolvedRope r = resolve("{" + LLAMA
        + ", \"rope_scaling\": {\"type\": \"linear\", \"rope_type\": \"linear\", \"factor\": 2}}", 4096);
    assertEquals("linear", r.layers().get(0).ropeType());
  }

  @Test
  void missingRequiredKeyIsRefused() {
    RopeConfigException e = refused("{" + LLAMA + ", \"rope_scaling\": {\"rope_type\": \"llama3\", "
        + "\"factor\": 8, \"high_freq_factor\": 4, \"original_max_position_embeddings\": 8192}}");
    assertEquals("rope_scaling.low_freq_factor", e.field());
    assertEquals("model 'x': rope_scaling.low_freq_factor is required by rope_type 'llama3' but missing",
        e.getMessage());
  }

  @Test
  void longFactorOfTheWrongLengthIsRefused() {
    String factors47 = "[" + String.join(",", java.util.Collections.nCopies(47, "1.0")) + "]";
    String factors48 = "[" + String.join(",", java.util.Collections.nCopies(48, "1.0")) + "]";
    RopeConfigException e = refused("{\"model_type\": \"phi3\", \"hidden_size\": 3072, \"num_attention_heads\": 32,"
        + " \"max_position_embeddings\": 131072, \"original_max_position_embeddings\": 4096, \"rope_scaling\": "
        + "{\"type\": \"longrope\", \"short_factor\": " + factors48 + ", \"long_factor\": " + factors47 + "}}");
    assertEquals("rope_scaling.long_factor", e.field());
    assertEquals("model 'x': rope_scaling.long_factor has 47 values, rotary_dim/2 is 48", e.getMessage());
  }

  @Test
  void nanThetaIsRefusedWithItsField() {
    RopeConfigException e = refused("{\"model_type\": \"llama\", \"hidden_size\": 4096, "
        + "\"num_attention_heads\": 32, \"rope_theta\": NaN}");
    assertEquals("rope_theta", e.field());
    assertEquals("model 'x': rope_theta = NaN must be finite", e.getMessage());
  }

  @Test
  void negativeFactorIsRefused() {
    RopeConfigException e = refused("{" + LLAMA + ", \"rope_scaling\": {\"type\": \"linear\", \"factor\": -2}}");
    assertEquals("rope_scaling.factor", e.field());
    assertEquals("model 'x': rope_scaling.factor = -2.0 must be a finite number > 0", e.getMessage());
  }

  @Test
  void factorOfTheWrongTypeIsRefused() {
    RopeConfigException e = refused("{" + LLAMA + ", \"rope_scaling\": {\"type\": \"linear\", \"factor\": \"8\"}}");
    assertEquals("model 'x': rope_scaling.factor = \"8\" must be a number", e.getMessage());
  }

  @Test
  void oddRotaryDimIsRefused() {
    RopeConfigException e = refused("{\"model_type\": \"llama\", \"head_dim\": 63, \"hidden_size\": 4032, "
        + "\"num_attention_heads\": 64}");
    assertEquals("head_dim", e.field());
    assertEquals("model 'x': head_dim gives rotary_dim 63 (head_dim 63 x partial_rotary_factor 1.0): a fully "
        + "rotated odd head dimension is refused, as transformers 5.18 refuses it (RoPE requires an even rotary "
        + "dimension); its rotary embedding would give 32 frequencies, 64 rotated dims, for a head of 63",
        e.getMessage());
  }

  @Test
  void missingGeometryIsRefused() {
    RopeConfigException e = refused("{\"model_type\": \"llama\", \"hidden_size\": 4096}");
    assertEquals("num_attention_heads", e.field());
    assertEquals("model 'x': num_attention_heads is missing, and head_dim is missing: the head dimension "
        + "cannot be derived", e.getMessage());
  }

  @Test
  void invalidJsonIsRefusedWithItsPosition() {
    RopeConfigException e = assertThrows(RopeConfigException.class,
        () -> RopeResolver.parse("x", "{\"hidden_size\": 40".getBytes(StandardCharsets.UTF_8)));
    assertTrue(e.getMessage().startsWith("model 'x': config is not valid JSON at line 1, column 19: "),
        e.getMessage());
  }

  @Test
  void deepNestingIsRefusedWithoutExhaustingTheStack() {
    String deep = "{\"a\":".repeat(100_000) + "1" + "}".repeat(100_000);
    RopeConfigException e = assertThrows(RopeConfigException.class,
        () -> RopeResolver.parse("x", deep.getBytes(StandardCharsets.UTF_8)));
    assertTrue(e.getMessage().contains("Document nesting depth (65) exceeds the maximum allowed (64"),
        e.getMessage());
  }

  @Test
  void oversizedConfigIsRefusedBeforeParsing() {
    byte[] huge = new byte[ConfigBytes.MAX_BYTES + 1];
    RopeConfigException e = assertThrows(RopeConfigException.class, () -> RopeResolver.parse("x", huge));
    assertEquals("model 'x': config is 16777217 bytes, more than the 16777216 allowed", e.getMessage());
  }

  @Test
  void alphaOutsideExllamaV2SemanticsIsRefused() {
    ModelConfig c = RopeResolver.parse("x", ("{" + LLAMA + "}").getBytes(StandardCharsets.UTF_8));
    RopeConfigException e = assertThrows(RopeConfigException.class, () -> RopeResolver.resolve(c, 4096,
        new RopeResolver.Options(Semantics.TRANSFORMERS, Precision.EXACT, 2.0, 0)));
    assertEquals("alpha", e.field());
  }

  @Test
  void exllamaV2RefusesTypeTogetherWithRopeType() {
    ModelConfig c = RopeResolver.parse("x", ("{" + LLAMA
        + ", \"rope_scaling\": {\"type\": \"linear\", \"rope_type\": \"linear\", \"factor\": 2}}")
        .getBytes(StandardCharsets.UTF_8));
    RopeConfigException e = assertThrows(RopeConfigException.class, () -> RopeResolver.resolve(c, 4096,
        RopeResolver.Options.DEFAULT.withSemantics(Semantics.EXLLAMAV2)));
    assertEquals("model 'x': rope_scaling.type = \"linear\" is given together with rope_scaling.rope_type = "
        + "\"linear\"; ExLlamaV2 accepts only one of them", e.getMessage());
  }

  @Test
  void unknownKeysWarnAndDoNotRefuse() {
    ResolvedRope r = resolve("{" + LLAMA + ", \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4, "
        + "\"original_max_position_embeddings\": 2048, \"attn_factor\": 0.8}}", 8192);
    assertEquals(List.of("model 'x': rope_scaling.attn_factor is not a key of rope_type 'yarn'; ignored"),
        r.warnings());
  }
}
