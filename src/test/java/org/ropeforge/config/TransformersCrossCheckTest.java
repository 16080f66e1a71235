package org.ropeforge.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.ResolvedRope;

/**
 * Torch precision against transformers 5.17 on configs the golden set does not cover (see
 * src/test/resources/crosscheck/README.md): inv_freq within 1 fp32 ulp, attention factor within 1e-6 relative.
 */
class TransformersCrossCheckTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static byte[] resource(String path) throws IOException {
    try (InputStream in = TransformersCrossCheckTest.class.getResourceAsStream("/crosscheck/" + path)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource crosscheck/" + path);
      }
      return in.readAllBytes();
    }
  }

  @Test
  void torchPrecisionMatchesTransformersBeyondTheGoldenSet() throws IOException {
    Map<String, String> configOf = new HashMap<>();
    for (String line : new String(resource("catalog.jsonl"), StandardCharsets.UTF_8).split("\n")) {
      if (!line.isBlank()) {
        JsonNode e = MAPPER.readTree(line);
        configOf.put(e.get("model_id").asText(), e.get("config").asText());
      }
    }
    List<String> failures = new ArrayList<>();
    int compared = 0;
    double worst = 0;
    for (String line : new String(resource("transformers-5.17.0-cpu.jsonl"), StandardCharsets.UTF_8).split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode ref = MAPPER.readTree(line);
      String id = ref.get("model_id").asText();
      ModelConfig config = RopeResolver.parse(id, resource(configOf.get(id)));
      ResolvedRope resolved = RopeResolver.resolve(config, ref.get("context_length").asLong(),
          RopeResolver.Options.DEFAULT.withPrecision(Precision.TORCH));
      String layerType = ref.get("layer_type").isNull() ? null : ref.get("layer_type").asText();
      LayerRope layer = resolved.layers().stream()
          .filter(l -> layerType == null || layerType.equals(l.layerType())).findFirst().orElseThrow();
      double[] expected = GoldenRecords.doubles(ref.get("inv_freq"));
      assertEquals(expected.length, layer.rotaryDim() / 2, id + ": rotary dim");
      double units = 0;
      for (int i = 0; i < expected.length; i++) {
        double diff = Math.abs(layer.invFreq(i) - expected[i]);
        units = Math.max(units, expected[i] == 0 ? diff : diff / Math.ulp((float) expected[i]));
      }
      double factor = ref.get("attention_factor").asDouble();
      double factorRel = Math.abs(layer.attentionFactor() - factor) / factor;
      worst = Math.max(worst, units);
      if (units > 1 || factorRel > 1e-6) {
        failures.add(id + " L=" + ref.get("context_length") + " " + layerType + ": inv_freq " + units
            + " ulp, attention factor ours " + layer.attentionFactor() + " vs " + factor);
      }
      compared++;
    }
    System.out.println("transformers cross-check: " + compared + " layer entries, worst inv_freq " + worst + " ulp");
    assertTrue(compared >= 60, "only " + compared + " entries compared");
    assertTrue(failures.isEmpty(), String.join("\n", failures));
  }
}
