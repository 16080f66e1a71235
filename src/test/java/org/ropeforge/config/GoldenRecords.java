package org.ropeforge.config;

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

/**
 * The golden reference records kept in the test resources (a copy of ../shared/golden): cases.jsonl and
 * exllamav2.jsonl, with the configs they name.
 */
public final class GoldenRecords {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private GoldenRecords() {}

  public static List<JsonNode> load(String file) {
    List<JsonNode> out = new ArrayList<>();
    try (InputStream in = GoldenRecords.class.getResourceAsStream("/golden/" + file)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource golden/" + file);
      }
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      String line;
      while ((line = reader.readLine()) != null) {
        if (!line.isBlank()) {
          out.add(MAPPER.readTree(line));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** The model id a record's config goes by: the config file name without .json, or the synthetic name. */
  public static String modelId(JsonNode record) {
    return record.get("case").asText().split("\\|")[0];
  }

  /** The config bytes a record was computed from. */
  public static byte[] configBytes(JsonNode record) {
    if (record.hasNonNull("config")) {
      return record.get("config").toString().getBytes(StandardCharsets.UTF_8);
    }
    String name = record.get("config_file").asText();
    try (InputStream in = GoldenRecords.class.getResourceAsStream("/golden/configs/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource golden/configs/" + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static double[] doubles(JsonNode array) {
    double[] out = new double[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).doubleValue();
    }
    return out;
  }

  public static String layerType(JsonNode record) {
    return record.hasNonNull("layer_type") ? record.get("layer_type").asText() : null;
  }
}
