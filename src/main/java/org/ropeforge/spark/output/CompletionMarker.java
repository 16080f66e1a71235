package org.ropeforge.spark.output;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import org.ropeforge.spark.plan.OutputSettings;

/**
 * {@code _ROPEFORGE_COMPLETE}, written after the manifest, and its one reader: the version, the catalog, the
 * settings that decided the bytes (as {@link OutputSettings#fingerprintText()}) and the row counts. Fields in
 * this order: ropeforge_version, catalog, options, models, rows, ok, skipped, errors.
 *
 * @param models models listed; -1 when a marker lacks a count (the same for the counts below)
 */
public record CompletionMarker(String version, String catalog, String options, long models, long rows, long ok,
    long skipped, long errors) {

  public byte[] toBytes() {
    ObjectNode node = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    node.put("ropeforge_version", version);
    node.put("catalog", catalog);
    node.put("options", options);
    node.put("models", models);
    node.put("rows", rows);
    node.put("ok", ok);
    node.put("skipped", skipped);
    node.put("errors", errors);
    return (Manifest.write(node) + "\n").getBytes(StandardCharsets.UTF_8);
  }

  /** A marker's text; IllegalArgumentException when it is not a JSON object. */
  public static CompletionMarker parse(String text) {
    JsonNode node = Manifest.read(text, "completion marker");
    return new CompletionMarker(node.path("ropeforge_version").asText(""), node.path("catalog").asText(""),
        node.path("options").asText(""), node.path("models").asLong(-1), node.path("rows").asLong(-1),
        node.path("ok").asLong(-1), node.path("skipped").asLong(-1), node.path("errors").asLong(-1));
  }

  /** The settings of the run; IllegalArgumentException naming what is missing. */
  public OutputSettings settings() {
    return OutputSettings.parse(options);
  }
}
