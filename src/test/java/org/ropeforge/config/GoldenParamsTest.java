package org.ropeforge.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.ResolvedRope;
import org.ropeforge.core.Semantics;

/**
 * Parameter parity with every golden record, at the tolerances:
 *
 * <table>
 *   <tr><th>mode</th><th>reference</th><th>inv_freq</th><th>attention factor (relative)</th></tr>
 *   <tr><td>exact</td><td>mpmath-exact</td><td>relative ≤ 1e-14</td><td>≤ 1e-12</td></tr>
 *   <tr><td>torch</td><td>transformers-5.17.0-cpu-fp32</td><td>≤ 1 fp32 ulp</td><td>≤ 1e-6</td></tr>
 *   <tr><td>exllamav2 (torch)</td><td>exllamav2-rope</td><td>≤ 1 fp32 ulp</td><td>≤ 1e-6</td></tr>
 * </table>
 *
 * <p>Errors are measured in tolerance units (1.0 = exactly at the bound) and the worst per mode is printed.
 */
class GoldenParamsTest {
  private static final double EXACT_INV_FREQ_REL = 1e-14;
  private static final double EXACT_FACTOR_REL = 1e-12;
  private static final double TORCH_FACTOR_REL = 1e-6;

  private static final Map<String, Double> WORST = new HashMap<>();
  private static final Map<String, String> WORST_CASE = new HashMap<>();
  private static final List<String> REFERENCE_DEVIATIONS = new ArrayList<>();

  @Test
  void exactPrecisionMatchesMpmath() {
    checkAll("cases.jsonl", "mpmath-exact", "exact", RopeResolver.Options.DEFAULT);
  }

  @Test
  void torchPrecisionMatchesTransformersCpu() {
    checkAll("cases.jsonl", "transformers-5.17.0-cpu-fp32", "torch",
        RopeResolver.Options.DEFAULT.withPrecision(Precision.TORCH));
  }

  @Test
  void exllamav2SemanticsMatchesExllamav2() {
    checkAll("exllamav2.jsonl", "exllamav2-rope", "exllamav2", null);
  }

  private void checkAll(String file, String reference, String mode, RopeResolver.Options options) {
    List<String> failures = new ArrayList<>();
    int checked = 0;
    for (JsonNode record : GoldenRecords.load(file)) {
      if (!record.get("reference").asText().equals(reference)) {
        continue;
      }
      RopeResolver.Options opts = options;
      if (opts == null) {
        double alpha = record.get("exl2").get("scale_alpha_value").asDouble();
        opts = new RopeResolver.Options(Semantics.EXLLAMAV2, Precision.TORCH, alpha, 0);
      }
      String name = record.get("case").asText();
      try {
        ModelConfig config = RopeResolver.parse(GoldenRecords.modelId(record), GoldenRecords.configBytes(record));
        ResolvedRope resolved = RopeResolver.resolve(config, record.get("context_length").asLong(), opts);
        LayerRope layer = layerOf(resolved, GoldenRecords.layerType(record));
        double[] expected = GoldenRecords.doubles(record.get("inv_freq"));
        double[] actual = layer.invFreq();
        assertEquals(expected.length, actual.length, name + ": inv_freq length");
        assertEquals(record.get("rotary_dim").asInt(), layer.rotaryDim(), name + ": rotary_dim");
        double worstFreq = 0;
        for (int i = 0; i < expected.length; i++) {
          double units = mode.equals("exact")
              ? Math.abs(actual[i] - expected[i]) / (Math.abs(expected[i]) * EXACT_INV_FREQ_REL)
              : Math.abs(actual[i] - expected[i]) / Math.ulp((float) expected[i]);
          if (units > 1.0 && mode.equals("exllamav2")) {
            units = againstExactPipeline(record, i, actual[i], expected[i], units);
          }
          worstFreq = Math.max(worstFreq, units);
        }
        double expectedFactor = record.get("attention_factor").asDouble();
        double factorUnits = Math.abs(layer.attentionFactor() - expectedFactor)
            / (Math.abs(expectedFactor) * (mode.equals("exact") ? EXACT_FACTOR_REL : TORCH_FACTOR_REL));
        note(mode + " inv_freq", worstFreq, name);
        note(mode + " attention_factor", factorUnits, name);
        if (worstFreq > 1.0 || factorUnits > 1.0) {
          failures.add(name + ": inv_freq " + worstFreq + " units, attention_factor " + factorUnits
              + " units (ours " + layer.attentionFactor() + ", reference " + expectedFactor + ")");
        }
        checked++;
      } catch (RuntimeException e) {
        failures.add(name + ": " + e);
      }
    }
    assertTrue(checked > 0, "no " + reference + " records checked");
    assertTrue(failures.isEmpty(), failures.size() + " of the " + reference + " records fail:\n"
        + String.join("\n", failures));
  }

  /**
   * ExLlamaV2's plain path is 1 / powf(fl32(base), 2i/d) in float32. torch evaluates powf with a vectorised
   * routine whose documented bound is 1 ulp, not correct rounding; our torch mode rounds powf correctly. Where
   * the reference is exactly what the same pipeline gives with powf one ulp up or down, and ours is exactly
   * the correctly rounded pipeline (both recomputed here from the record's own exl2 fields, independently of
   * the code under test), the difference is powf's last bit, not the semantics: the entry is counted and
   * reported, and ours is held to 0 ulp of the correctly rounded pipeline.
   */
  private static double againstExactPipeline(JsonNode record, int i, double ours, double reference,
      double units) {
    JsonNode exl2 = record.get("exl2");
    if (!exl2.get("alt_rope_method").isNull() || exl2.get("rope_freq_half").asBoolean()) {
      return units;
    }
    int dim = (int) (exl2.get("head_dim").asInt() * exl2.get("partial_rotary_factor").asDouble());
    double alpha = exl2.get("scale_alpha_value").asDouble();
    double base = exl2.get("rotary_embedding_base").asDouble();
    if (alpha != 1.0) {
      base *= Math.pow(alpha, (double) dim / (dim - 2));
    }
    float power = (float) Math.pow((float) base, (float) (2 * i) / (float) dim);
    float correctlyRounded = 1.0f / power;
    boolean referenceIsPowfLastBit = reference == 1.0f / Math.nextUp(power)
        || reference == 1.0f / Math.nextDown(power);
    if (referenceIsPowfLastBit) {
      synchronized (GoldenParamsTest.class) {
        REFERENCE_DEVIATIONS.add(record.get("case").asText() + " inv_freq[" + i + "]: reference " + reference
            + " = 1/powf with powf one ulp off the correctly rounded " + power + "; ours " + ours
            + ", correctly rounded pipeline " + correctlyRounded);
      }
      return Math.abs(ours - correctlyRounded) / Math.ulp(correctlyRounded);
    }
    return units;
  }

  private static LayerRope layerOf(ResolvedRope resolved, String layerType) {
    for (LayerRope l : resolved.layers()) {
      if (layerType == null ? resolved.layers().size() == 1 : layerType.equals(l.layerType())) {
        return l;
      }
    }
    throw new AssertionError("no layer " + layerType + " in " + resolved.layers());
  }

  private static synchronized void note(String what, double units, String name) {
    if (units >= WORST.getOrDefault(what, -1.0)) {
      WORST.put(what, units);
      WORST_CASE.put(what, name);
    }
  }

  @AfterAll
  static void report() {
    WORST.keySet().stream().sorted().forEach(k -> System.out.printf(
        "golden worst %-32s %.4f tolerance units at %s%n", k, WORST.get(k), WORST_CASE.get(k)));
    REFERENCE_DEVIATIONS.forEach(d -> System.out.println("golden reference deviation: " + d));
  }
}
