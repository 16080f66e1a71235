package org.ropeforge.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.ropeforge.core.RopeConfigException;

/**
 * One line of a catalog manifest, the JSON-lines format shared by {@code params} and the Spark job:
 * {@code {"model_id": "...", "config": "<path or URI, relative to the manifest's folder>", "context_lengths": [...]}}
 * with {@code context_lengths} optional.
 *
 * @param modelId the model's id, as given
 * @param config the config's location as written (resolve it against the manifest's folder)
 * @param contextLengths the lengths to build, empty when the line names none
 */
public record CatalogEntry(String modelId, String config, List<Long> contextLengths) {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  public CatalogEntry {
    contextLengths = List.copyOf(contextLengths);
  }

  /**
   * Parses one manifest line. A malformed line is a {@link RopeConfigException} whose model id is the line's
   * model_id when it can be read, else {@code <line N>}.
   */
  public static CatalogEntry parse(String line, int lineNumber) {
    String where = "<line " + lineNumber + ">";
    JsonNode node;
    try {
      node = MAPPER.readTree(line);
    } catch (IOException e) {
      throw new RopeConfigException(where, "", null, "catalog line is not valid JSON: " + e.getMessage());
    }
    if (node == null || !node.isObject()) {
      throw new RopeConfigException(where, "", line, "catalog line must be a JSON object");
    }
    JsonNode id = node.get("model_id");
    if (id == null || !id.isTextual() || id.textValue().isEmpty()) {
      throw new RopeConfigException(where, "model_id", JsonFields.abbreviate(id),
          "must be a non-empty string");
    }
    String modelId = id.textValue();
    JsonNode config = node.get("config");
    if (config == null || !config.isTextual() || config.textValue().isEmpty()) {
      throw new RopeConfigException(modelId, "config", JsonFields.abbreviate(config),
          "must be a non-empty string (a path or URI of the config.json)");
    }
    List<Long> lengths = new ArrayList<>();
    JsonNode list = node.get("context_lengths");
    if (list != null && !list.isNull()) {
      if (!list.isArray()) {
        throw new RopeConfigException(modelId, "context_lengths", JsonFields.abbreviate(list),
            "= " + JsonFields.abbreviate(list) + " must be a list of whole numbers >= 1");
      }
      for (int i = 0; i < list.size(); i++) {
        JsonNode v = list.get(i);
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 1) {
          throw new RopeConfigException(modelId, "context_lengths[" + i + "]", JsonFields.abbreviate(v),
              "= " + JsonFields.abbreviate(v) + " must be a whole number >= 1");
        }
        lengths.add(v.longValue());
      }
    }
    return new CatalogEntry(modelId, config.textValue(), lengths);
  }
}
