package org.ropeforge.config;

import com.fasterxml.jackson.databind.JsonNode;
import org.ropeforge.core.RopeConfigException;

/**
 * Typed reads from a Jackson tree. Every failure names the model, the dotted field path, the value as
 * written and the rule, so that a user can find and fix the field without reading our code.
 */
final class JsonFields {
  private final String modelId;

  JsonFields(String modelId) {
    this.modelId = modelId;
  }

  /** A number, or null when the field is absent or JSON null. */
  Double optNumber(JsonNode node, String key, String path) {
    JsonNode v = node == null ? null : node.get(key);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isNumber()) {
      throw new RopeConfigException(modelId, path, abbreviate(v), "= " + abbreviate(v) + " must be a number");
    }
    double d = v.doubleValue();
    if (!Double.isFinite(d)) {
      throw new RopeConfigException(modelId, path, abbreviate(v), "= " + abbreviate(v) + " must be finite");
    }
    return d;
  }

  /** A positive whole number, or null when absent. */
  Long optPositiveInt(JsonNode node, String key, String path) {
    Double d = optNumber(node, key, path);
    if (d == null) {
      return null;
    }
    if (!(d >= 1) || d != Math.rint(d) || d > (double) (1L << 53)) {
      throw new RopeConfigException(modelId, path, abbreviate(node.get(key)),
          "= " + abbreviate(node.get(key)) + " must be a whole number >= 1");
    }
    return d.longValue();
  }

  /** A string, or null when absent. */
  String optString(JsonNode node, String key, String path) {
    JsonNode v = node == null ? null : node.get(key);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw new RopeConfigException(modelId, path, abbreviate(v), "= " + abbreviate(v) + " must be a string");
    }
    return v.textValue();
  }

  /** An object, or null when absent; anything else is an error. */
  JsonNode optObject(JsonNode node, String key, String path) {
    JsonNode v = node == null ? null : node.get(key);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isObject()) {
      throw new RopeConfigException(modelId, path, abbreviate(v), "= " + abbreviate(v) + " must be an object");
    }
    return v;
  }

  /** The JSON text of a value, cut to a readable length for messages. */
  static String abbreviate(JsonNode v) {
    String s = v == null ? "null" : v.isNumber() ? v.asText() : v.toString();
    return s.length() > 120 ? s.substring(0, 117) + "..." : s;
  }
}
