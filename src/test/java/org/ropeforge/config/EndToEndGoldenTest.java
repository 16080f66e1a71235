package org.ropeforge.config;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.ResolvedRope;
import org.ropeforge.core.Semantics;
import org.ropeforge.core.table.RopeTable;
import org.ropeforge.core.table.TableOptions;
import org.ropeforge.core.table.TablePart;

/**
 * config.json to cos/sin, end to end: parameters from our resolver, tables from our generator, against every
 * golden sample, at the tables issue's tolerances (angle = position x inv_freq):
 * exact vs mpmath-exact |diff| <= ulp_f32(value) + 2^-46 max(1, angle);
 * torch vs transformers-5.17.0-cpu-fp32 and exllamav2 (torch) vs exllamav2-rope |diff| <= 2 x 2^-23 max(1, angle).
 */
class EndToEndGoldenTest {
  @Test
  void exactFromConfigMatchesMpmath() {
    check("cases.jsonl", "mpmath-exact", Semantics.TRANSFORMERS, Precision.EXACT);
  }

  @Test
  void torchFromConfigMatchesTransformersCpu() {
    check("cases.jsonl", "transformers-5.17.0-cpu-fp32", Semantics.TRANSFORMERS, Precision.TORCH);
  }

  @Test
  void exllamaV2FromConfigMatchesExllamaV2() {
    check("exllamav2.jsonl", "exllamav2-rope", Semantics.EXLLAMAV2, Precision.TORCH);
  }

  private static void check(String file, String reference, Semantics semantics, Precision precision) {
    double worst = 0;
    String worstAt = "";
    long values = 0;
    List<String> failures = new ArrayList<>();
    for (JsonNode record : GoldenRecords.load(file)) {
      if (!record.get("reference").asText().equals(reference)) {
        continue;
      }
      double alpha = record.has("exl2") ? record.get("exl2").get("scale_alpha_value").asDouble() : 1.0;
      ModelConfig config = RopeResolver.parse(GoldenRecords.modelId(record), GoldenRecords.configBytes(record));
      ResolvedRope resolved = RopeResolver.resolve(config, record.get("context_length").asLong(),
          new RopeResolver.Options(semantics, precision, alpha, 0));
      String layerType = GoldenRecords.layerType(record);
      LayerRope layer = resolved.layers().stream()
          .filter(l -> layerType == null || layerType.equals(l.layerType())).findFirst().orElseThrow();
      RopeTable table = RopeTable.of(layer, TableOptions.DEFAULT.withPrecision(precision));
      JsonNode positions = record.get("positions");
      for (int i = 0; i < positions.size(); i++) {
        long p = positions.get(i).asLong();
        ByteBuffer cos = table.rows(TablePart.COS, p, p + 1);
        ByteBuffer sin = table.rows(TablePart.SIN, p, p + 1);
        double position = (p + layer.positionOffset()) / layer.positionScale();
        for (int j = 0; j < layer.rotaryDim() / 2; j++) {
          double angle = Math.abs(position * layer.invFreq(j));
          for (int part = 0; part < 2; part++) {
            double ref = record.get(part == 0 ? "cos" : "sin").get(i).get(j).asDouble();
            float ours = (part == 0 ? cos : sin).getFloat(4 * j);
            double tolerance = precision == Precision.EXACT
                ? Math.ulp((float) ref) + 0x1p-46 * Math.max(1, angle)
                : 2 * 0x1p-23 * Math.max(1, angle);
            double units = Math.abs(ours - ref) / tolerance;
            values++;
            if (units > worst) {
              worst = units;
              worstAt = String.format(Locale.ROOT, "%s p=%d j=%d %s: ours %s, reference %s",
                  record.get("case").asText(), p, j, part == 0 ? "cos" : "sin", ours, ref);
            }
            if (units > 1 && failures.size() < 20) {
              failures.add(String.format(Locale.ROOT, "%s p=%d j=%d: %.3f units", record.get("case").asText(), p, j,
                  units));
            }
          }
        }
      }
    }
    System.out.printf(Locale.ROOT, "end to end %s vs %s: %d values, worst %.4f tolerance units at %s%n",
        precision.cliName(), reference, values, worst, worstAt);
    assertTrue(values > 100_000, "too few values compared: " + values);
    assertTrue(failures.isEmpty(), String.join("\n", failures));
  }
}
