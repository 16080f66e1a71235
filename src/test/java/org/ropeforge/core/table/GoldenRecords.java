package org.ropeforge.core.table;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.ropeforge.core.LayerRope;

/** Reads the golden reference records (format: ../shared/golden/README.md) from the test resources. */
final class GoldenRecords {
  static final String EXACT = "mpmath-exact";
  static final String TORCH_CPU = "transformers-5.17.0-cpu-fp32";
  static final String EXLLAMAV2 = "exllamav2-rope";

  private GoldenRecords() {}

  /** One record: the parameters a reference used and its cos/sin at the sample positions. */
  record Golden(String caseName, String reference, JsonNode json) {
    long[] positions() {
      JsonNode p = json.get("positions");
      long[] out = new long[p.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = p.get(i).asLong();
      }
      return out;
    }

    double[] invFreq() {
      return doubles(json.get("inv_freq"));
    }

    double[][] cos() {
      return matrix(json.get("cos"));
    }

    double[][] sin() {
      return matrix(json.get("sin"));
    }

    /** The table parameters of this record, with positions as the reference formed them. */
    LayerRope layer() {
      double scale = 1.0;
      double offset = 0.0;
      JsonNode exl2 = json.get("exl2");
      if (exl2 != null) {
        scale = exl2.get("scale_pos_emb").asDouble();
        offset = exl2.get("pos_id_index").asDouble();
      }
      JsonNode layerType = json.get("layer_type");
      return new LayerRope(layerType == null ? null : layerType.asText(), json.get("rope_type").asText(),
          json.get("rotary_dim").asInt(), invFreq(), json.get("attention_factor").asDouble(), null, null,
          scale, offset);
    }
  }

  static List<Golden> load(String resource, String reference) {
    ObjectMapper mapper = new ObjectMapper();
    List<Golden> out = new ArrayList<>();
    try (InputStream in = GoldenRecords.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("Missing test resource " + resource);
      }
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode node = mapper.readTree(line);
        if (node.get("reference").asText().equals(reference)) {
          out.add(new Golden(node.get("case").asText(), reference, node));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (out.isEmpty()) {
      throw new IllegalStateException("No records of reference " + reference + " in " + resource);
    }
    return out;
  }

  private static double[] doubles(JsonNode array) {
    double[] out = new double[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asDouble();
    }
    return out;
  }

  private static double[][] matrix(JsonNode array) {
    double[][] out = new double[array.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = doubles(array.get(i));
    }
    return out;
  }
}
