package org.ropeforge.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.ResolvedRope;
import org.ropeforge.core.RopeConfigException;

/**
 * The rules that follow transformers 5.18 where the conformance references alone leave them open: an odd partial
 * rotary dimension, and the HF v4 (layer_types without per-layer-type rope_parameters) expansions of Mellum, ZAYA
 * and Step 3.5/3.7.
 */
class Transformers518RulesTest {
  private static ResolvedRope resolve(String json) {
    ModelConfig c = RopeResolver.parse("x", json.getBytes(StandardCharsets.UTF_8));
    return RopeResolver.resolve(c, 4096, RopeResolver.Options.DEFAULT);
  }

  private static List<String> layerTypes(ResolvedRope r) {
    return r.layers().stream().map(LayerRope::layerType).toList();
  }

  @Test
  void anOddPartialRotaryDimKeepsItsOddDenominatorAndRotatesOneMorePair() {
    // GLM-4 MoE's default geometry: head_dim 4096 // 96 = 42, half of it rotated: d = 21.
    LayerRope l = resolve("{\"model_type\": \"glm4_moe\", \"hidden_size\": 4096, \"num_attention_heads\": 96, "
        + "\"partial_rotary_factor\": 0.5, \"rope_theta\": 10000.0}").layers().get(0);
    assertEquals(22, l.rotaryDim());
    assertEquals(11, l.invFreq().length);
    for (int i = 0; i < 11; i++) {
      assertEquals(1.0 / Math.pow(10000.0, 2.0 * i / 21), l.invFreq(i), 1e-15 * l.invFreq(i), "inv_freq " + i);
    }
  }

  @Test
  void aFullyRotatedOddHeadIsRefusedByThe518Rule() {
    RopeConfigException e = assertThrows(RopeConfigException.class, () -> resolve("{\"model_type\": \"qwen3\", "
        + "\"hidden_size\": 2044, \"num_attention_heads\": 28, \"rope_theta\": 10000.0}"));
    assertEquals("hidden_size", e.field());
    assertEquals("model 'x': hidden_size gives rotary_dim 73 (head_dim 73 x partial_rotary_factor 1.0): a fully "
        + "rotated odd head dimension is refused, as transformers 5.18 refuses it (RoPE requires an even rotary "
        + "dimension); its rotary embedding would give 37 frequencies, 74 rotated dims, for a head of 73",
        e.getMessage());
  }

  @Test
  void mellumWithoutRopeParametersTakesItsClassDefaultsAndIgnoresTheTopLevelTheta() {
    ResolvedRope r = resolve("{\"model_type\": \"mellum\", \"head_dim\": 128, \"hidden_size\": 2304, "
        + "\"num_attention_heads\": 32, \"rope_theta\": 1234.0, \"layer_types\": [\"full_attention\", "
        + "\"sliding_attention\"]}");
    assertEquals(List.of("full_attention", "sliding_attention"), layerTypes(r));
    assertEquals(1.0 / Math.pow(500_000.0, 2.0 / 128), r.layers().get(0).invFreq(1), 1e-16);
    assertEquals(1.0 / Math.pow(10_000.0, 2.0 / 128), r.layers().get(1).invFreq(1), 1e-16);
    assertTrue(r.rulesFired().stream().anyMatch(s -> s.contains("top-level rope_theta and rope_scaling are ignored")),
        r.rulesFired().toString());
  }

  @Test
  void zayaBuildsOnlyTheLayerTypesItsLayersUse() {
    ResolvedRope r = resolve("{\"model_type\": \"zaya\", \"head_dim\": 128, \"hidden_size\": 2048, "
        + "\"num_attention_heads\": 8, \"layer_types\": [\"hybrid\", \"hybrid\"]}");
    assertEquals(List.of("hybrid"), layerTypes(r));
    assertEquals(64, r.layers().get(0).rotaryDim());
  }

  @Test
  void aFlatRopeParametersIsRefusedForMellum() {
    RopeConfigException e = assertThrows(RopeConfigException.class, () -> resolve("{\"model_type\": \"mellum\", "
        + "\"head_dim\": 128, \"hidden_size\": 2304, \"num_attention_heads\": 32, \"rope_parameters\": "
        + "{\"rope_type\": \"default\", \"rope_theta\": 10000.0}}"));
    assertEquals("rope_parameters", e.field());
    assertEquals("model 'x': rope_parameters = {\"rope_type\":\"default\",\"rope_theta\":10000.0} is a flat "
        + "dictionary: mellum's rotary embedding reads one dictionary per layer type (full_attention, "
        + "sliding_attention); give per-layer-type rope_parameters", e.getMessage());
  }

  @Test
  void step3p5TakesEachLayerTypesFirstThetaAndItsPartialFactorAndMergesRopeScalingIntoFullAttention() {
    ResolvedRope r = resolve("{\"model_type\": \"step3p5\", \"head_dim\": 128, \"hidden_size\": 4096, "
        + "\"num_attention_heads\": 64, \"layer_types\": [\"sliding_attention\", \"full_attention\", "
        + "\"full_attention\"], \"rope_theta\": [10000.0, 5000000.0, 7.0], \"partial_rotary_factors\": [1.0, 0.5, "
        + "0.25], \"partial_rotary_factor\": 0.75, \"rope_scaling\": {\"rope_type\": \"linear\", \"factor\": 2.0}}");
    assertEquals(List.of("sliding_attention", "full_attention"), layerTypes(r));
    LayerRope sliding = r.layers().get(0);
    LayerRope full = r.layers().get(1);
    assertEquals(128, sliding.rotaryDim());
    assertEquals(1.0 / Math.pow(10_000.0, 2.0 / 128), sliding.invFreq(1), 1e-16);
    assertEquals("linear", full.ropeType());
    assertEquals(64, full.rotaryDim());
    assertEquals(1.0 / Math.pow(5_000_000.0, 2.0 / 64) / 2, full.invFreq(1), 1e-16);
  }

  @Test
  void step3p5WithoutRopeThetaUsesItsClassDefault() {
    ResolvedRope r = resolve("{\"model_type\": \"step3p5\", \"head_dim\": 128, \"hidden_size\": 4096, "
        + "\"num_attention_heads\": 64, \"layer_types\": [\"full_attention\"]}");
    assertArrayEquals(new double[] {1.0, 1.0 / Math.pow(10_000.0, 2.0 / 128)},
        java.util.Arrays.copyOf(r.layers().get(0).invFreq(), 2), 1e-16);
  }

  @Test
  void step3p5RefusesAPerLayerTypeDictionaryMissingALayerType() {
    RopeConfigException e = assertThrows(RopeConfigException.class, () -> resolve("{\"model_type\": \"step3p5\", "
        + "\"head_dim\": 128, \"hidden_size\": 4096, \"num_attention_heads\": 64, \"layer_types\": "
        + "[\"full_attention\", \"sliding_attention\"], \"rope_parameters\": {\"full_attention\": "
        + "{\"rope_type\": \"default\", \"rope_theta\": 10000.0}}}"));
    assertEquals("rope_parameters", e.field());
    assertEquals("model 'x': rope_parameters has no dictionary for layer type sliding_attention of layer_types: "
        + "step3p5's config class then rebuilds every layer type's parameters from rope_theta, which these rules do "
        + "not mix with the given ones; give a dictionary per layer type", e.getMessage());
  }

  @Test
  void aDictionaryKeyedByUndeclaredLayerTypesIsRefused() {
    // transformers 5.18 reads it flat for Llama: rope_theta 10000 (its default), the nested entries ignored.
    RopeConfigException e = assertThrows(RopeConfigException.class, () -> resolve("{\"model_type\": \"llama\", "
        + "\"hidden_size\": 4096, \"num_attention_heads\": 32, \"rope_parameters\": {\"full_attention\": "
        + "{\"rope_type\": \"default\", \"rope_theta\": 500000.0}}}"));
    assertEquals("rope_parameters", e.field());
    assertEquals("model 'x': rope_parameters = {\"full_attention\":{\"rope_type\":\"default\","
        + "\"rope_theta\":500000.0}} is keyed by layer type, but the config declares no layer_types naming them: "
        + "transformers 5.18 then reads it as one flat dictionary and ignores the nested entries; give layer_types, or a flat dictionary",
        e.getMessage());
  }
}
