package org.ropeforge.spark.output;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.ropeforge.spark.plan.Problem;
import org.ropeforge.spark.plan.Target;

/**
 * {@code manifest.jsonl}, its one writer ({@link #toJson}) and its one reader ({@link #parse}): one JSON object
 * per (model_id, context_length), in that order. Fields, always in this order: model_id, context_length (null
 * when the config could not be read), status (ok | skipped | error), config, config_sha256, input_sha256, files
 * [{path, bytes, sha256}], tables [{layer_type, sha256, device, gpu}], model_type_conformance ({@code known} or
 * {@code unknown}: whether the config's model_type is in the conformance table; rows whose config was read),
 * error {field, value, message} (error rows only). A table's device is where it was computed ({@code cpu},
 * {@code cuda:<address>}, or {@code cuda:<address>+cpu} when the CPU finished what the GPU began); gpu is the GPU address Spark assigned to
 * the task, or null. Both are absent where unknown (lines of older manifests carried over).
 *
 * <p>In a run of several layouts and dtypes there is one line per (model_id, context_length, layout, dtype),
 * and layout and dtype follow context_length; a run of one writes neither (its rows are those of the runs
 * before several existed; the completion marker names its layout and dtype).
 */
public final class Manifest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Manifest() {}

  /** The key of a (model, length) among the rows of a manifest. */
  public static String key(String modelId, long contextLength) {
    return modelId + '\u0000' + contextLength;
  }

  /** The key of a (model, length) in one form ({@code encoding} {@code <layout>-<dtype>}, or null in a run of one). */
  public static String key(String modelId, long contextLength, String encoding) {
    return encoding == null ? key(modelId, contextLength) : key(modelId, contextLength) + '\u0000' + encoding;
  }

  /** The key of a target's output among the rows of a manifest. */
  public static String key(Target target) {
    return key(target.modelId(), target.contextLength(), target.encodingName());
  }

  public static String toJson(Outcome outcome) {
    Target target = outcome.target();
    ObjectNode node = JSON.createObjectNode();
    node.put("model_id", target.modelId());
    if (target.contextLength() == Target.UNKNOWN_LENGTH) {
      node.putNull("context_length");
    } else {
      node.put("context_length", target.contextLength());
    }
    if (target.encoding() != null) {
      node.put("layout", target.encoding().layout().cliName());
      node.put("dtype", target.encoding().dtype().cliName());
    }
    node.put("status", outcome.status().manifestName());
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
    if (target.modelTypeConformance() != null) {
      node.put("model_type_conformance", target.modelTypeConformance());
    }
    if (outcome.error() != null) {
      node.putObject("error")
          .put("field", outcome.error().field())
          .put("value", outcome.error().value())
          .put("message", outcome.error().message());
    }
    return write(node);
  }

  static String write(JsonNode node) {
    try {
      return JSON.writeValueAsString(node);
    } catch (IOException e) {
      throw new IllegalStateException("A tree of strings and numbers always serializes", e);
    }
  }

  static JsonNode read(String text, String what) {
    JsonNode node;
    try {
      node = JSON.readTree(text);
    } catch (IOException e) {
      throw new IllegalArgumentException(what + " is not JSON: " + e.getMessage(), e);
    }
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException(what + " is not a JSON object");
    }
    return node;
  }

  /** One manifest line; IllegalArgumentException when it is not a JSON object. */
  public static Row parse(String text) {
    JsonNode node = read(text, "manifest line");
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
    JsonNode length = node.path("context_length");
    JsonNode error = node.path("error");
    String layout = node.path("layout").asText(null);
    String dtype = node.path("dtype").asText(null);
    return new Row(node.path("model_id").asText(),
        length.canConvertToLong() && length.isIntegralNumber() ? length.asLong() : Target.UNKNOWN_LENGTH,
        layout == null || dtype == null ? null : layout + "-" + dtype,
        Outcome.Status.parse(node.path("status").asText()), node.path("config").asText(null),
        node.path("config_sha256").asText(null), node.path("input_sha256").asText(null), files, tables, devices,
        gpu, error.isObject() ? new Problem(error.path("field").asText(null), error.path("value").asText(null),
            error.path("message").asText(null)) : null);
  }

  /** One manifest line, or null when it is not one (a re-run then simply does not reuse it). */
  public static Row parseOrNull(String text) {
    try {
      return parse(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * One line of a manifest as read back.
   *
   * @param contextLength {@link Target#UNKNOWN_LENGTH} where the line has none
   * @param encoding {@code <layout>-<dtype>} of a line of a run of several, or null
   * @param status null for a status no manifest writes
   */
  public record Row(String modelId, long contextLength, String encoding, Outcome.Status status, String config, String configSha256,
      String inputSha256, List<Outcome.OutputFile> files, List<String> tableSha256, List<String> tableDevices,
      String gpu, Problem error) implements Serializable {
    private static final long serialVersionUID = 2L;

    public String key() {
      return Manifest.key(modelId, contextLength, encoding);
    }

    /** Same inputs, same settings, same version, and complete last time: the files on disk are current. */
    public boolean reusableFor(Target target) {
      return target.ok()
          && contextLength != Target.UNKNOWN_LENGTH
          && (status == Outcome.Status.OK || status == Outcome.Status.SKIPPED)
          && inputSha256 != null
          && inputSha256.equals(target.inputSha256())
          && tableSha256.size() == target.layers().size()
          && java.util.Objects.equals(encoding, target.encodingName());
    }
  }
}
