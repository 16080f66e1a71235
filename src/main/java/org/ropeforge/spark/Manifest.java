package org.ropeforge.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code manifest.jsonl}: one JSON object per (model_id, context_length), in that order. Fields, always in
 * this order: model_id, context_length (null when the config could not be read), status (ok | skipped |
 * error), config, config_sha256, input_sha256, files [{path, bytes, sha256}], tables [{layer_type,
 * sha256, device, gpu}], error {field, value, message} (error rows only). A table's device is where it was
 * computed ({@code cpu}, {@code cuda:<address>}, or {@code cuda:<address>+cpu} when the CPU finished what the
 * GPU began); gpu is the GPU address Spark assigned to the task, or null. Both are absent where unknown (lines
 * of older manifests carried over).
 */
final class Manifest {
  static final ObjectMapper JSON = new ObjectMapper();

  private Manifest() {}

  static String key(String modelId, long contextLength) {
    return modelId + '\u0000' + contextLength;
  }

  static String toJson(Outcome outcome) {
    Target target = outcome.target();
    ObjectNode node = JSON.createObjectNode();
    node.put("model_id", target.modelId());
    if (target.contextLength() == Target.UNKNOWN_LENGTH) {
      node.putNull("context_length");
    } else {
      node.put("context_length", target.contextLength());
    }
    node.put("status", outcome.status());
    node.put("config", target.configUri());
    node.put("config_sha256", target.configSha256());
    node.put("input_sha256", target.inputSha256());
    ArrayNode files = node.putArray("files");
    for (Outcome.OutputFile file : outcome.files()) {
      files.addObject().put("path", file.path()).put("bytes", file.bytes()).put("sha256", file.sha256());
    }
    ArrayNode tables = node.putArray("tables");
    for (int i = 0; i < outcome.tableSha256().size(); i++) {
      ObjectNode table = tables.addObject()
          .put("layer_type", target.layers().get(i).layerType())
          .put("sha256", outcome.tableSha256().get(i));
      if (i < outcome.tableDevices().size()) {
        table.put("device", outcome.tableDevices().get(i));
        table.put("gpu", outcome.gpu());
      }
    }
    if (outcome.error() != null) {
      node.putObject("error")
          .put("field", outcome.error().field())
          .put("value", outcome.error().value())
          .put("message", outcome.error().message());
    }
    try {
      return JSON.writeValueAsString(node);
    } catch (IOException e) {
      throw new IllegalStateException("A tree of strings and numbers always serializes", e);
    }
  }

  /** A line of a previous manifest, as far as deciding reuse needs it; null for lines that cannot be reused. */
  static Line parse(String text) {
    JsonNode node;
    try {
      node = JSON.readTree(text);
    } catch (IOException e) {
      return null;
    }
    if (node == null || !node.isObject() || !node.path("context_length").canConvertToLong()) {
      return null;
    }
    List<Outcome.OutputFile> files = new ArrayList<>();
    for (JsonNode file : node.path("files")) {
      files.add(new Outcome.OutputFile(file.path("path").asText(), file.path("bytes").asLong(-1),
          file.path("sha256").asText()));
    }
    List<String> tables = new ArrayList<>();
    List<String> devices = new ArrayList<>();
    String gpu = null;
    for (JsonNode table : node.path("tables")) {
      tables.add(table.path("sha256").asText());
      if (table.hasNonNull("device")) {
        devices.add(table.get("device").asText());
      }
      gpu = table.hasNonNull("gpu") ? table.get("gpu").asText() : gpu;
    }
    if (devices.size() != tables.size()) {
      devices = List.of();
    }
    return new Line(node.path("model_id").asText(), node.path("context_length").asLong(),
        node.path("status").asText(), node.path("input_sha256").asText(null), files, tables, devices, gpu);
  }

  /** What a re-run needs of a previous manifest line. */
  record Line(String modelId, long contextLength, String status, String inputSha256,
      List<Outcome.OutputFile> files, List<String> tableSha256, List<String> tableDevices, String gpu)
      implements Serializable {

    String key() {
      return Manifest.key(modelId, contextLength);
    }

    /** Same inputs, same options, same version, and complete last time: the files on disk are current. */
    boolean reusableFor(Target target) {
      return target.ok()
          && (status.equals(Outcome.OK) || status.equals(Outcome.SKIPPED))
          && inputSha256 != null
          && inputSha256.equals(target.inputSha256())
          && tableSha256.size() == target.layers().size();
    }
  }
}
