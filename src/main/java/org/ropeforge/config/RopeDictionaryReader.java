package org.ropeforge.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.ropeforge.core.RopeConfigException;
import org.ropeforge.core.RopeParams;

/**
 * Reads one flat RoPE dictionary (rope_scaling, rope_parameters, or one layer type's entry) into
 * {@link RopeParams}: values typed and checked, type and rope_type reconciled, legacy type names mapped to
 * transformers' current ones. The ExLlamaV2 mapping reads rope_scaling through it too, so that both
 * semantics type values and refuse malformed ones the same way.
 */
final class RopeDictionaryReader {
  private RopeDictionaryReader() {}

  /** The dictionary at {@code path}; each legacy name it maps adds a rule to {@code rules}. */
  static RopeParams.Builder read(ConfigTree config, JsonNode dict, String path, List<String> rules) {
    String modelId = config.modelId();
    JsonFields fields = config.fields();
    RopeParams.Builder b = RopeParams.builder(modelId, path);
    for (Iterator<Map.Entry<String, JsonNode>> it = dict.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equals("type") || e.getKey().equals("rope_type")) {
        continue;
      }
      b.put(e.getKey(), jsonValue(modelId, e.getValue(), path + "." + e.getKey()), path + "." + e.getKey());
    }
    String family = config.family();
    String ropeType = fields.optString(dict, "rope_type", path + ".rope_type");
    String legacyType = fields.optString(dict, "type", path + ".type");
    if (ropeType != null && legacyType != null
        && !canonicalType(family, ropeType, b).equals(canonicalType(family, legacyType, b))) {
      throw new RopeConfigException(modelId, path + ".type", '"' + legacyType + '"',
          "= \"" + legacyType + "\" conflicts with " + path + ".rope_type = \"" + ropeType + "\"");
    }
    String typePath = path + (ropeType != null ? ".rope_type" : ".type");
    String type = ropeType != null ? ropeType : legacyType;
    if (type == null) {
      type = "default";
    } else if (ropeType == null) {
      rules.add(path + ".type -> rope_type");
    }
    String canonical = canonicalType(family, type, b);
    if (!canonical.equals(type)) {
      rules.add(aliasRule(family, type, canonical, b));
    }
    b.put("rope_type", canonical, typePath);
    return b;
  }

  private static String canonicalType(String family, String type, RopeParams.Builder b) {
    return switch (type) {
      case "su" -> "longrope";
      case "mrope" -> "default";
      case "yarn" -> FamilyDefaults.PHI3.contains(family) ? "longrope" : "yarn";
      case "dynamic" -> b.has("alpha") ? "ntk_alpha" : "dynamic";
      default -> type;
    };
  }

  private static String aliasRule(String family, String from, String to, RopeParams.Builder b) {
    return switch (from) {
      case "su" -> "legacy rope_type 'su' -> longrope";
      case "mrope" -> "rope_type 'mrope' -> default, keeping mrope_section";
      case "yarn" -> family + ": legacy rope_type 'yarn' -> longrope (Phi-3 configs)";
      case "dynamic" -> "rope_type 'dynamic' with alpha -> ntk_alpha (HunYuan static NTK-alpha)";
      default -> "rope_type '" + from + "' -> " + to;
    };
  }

  /** Double, Boolean, String or double[], as {@link RopeParams} holds them; an object is kept as its text. */
  private static Object jsonValue(String modelId, JsonNode v, String path) {
    if (v.isNull()) {
      return null;
    }
    if (v.isNumber()) {
      double d = v.doubleValue();
      if (!Double.isFinite(d)) {
        throw new RopeConfigException(modelId, path, v.toString(), "= " + v + " must be finite");
      }
      return d;
    }
    if (v.isBoolean()) {
      return v.booleanValue();
    }
    if (v.isTextual()) {
      return v.textValue();
    }
    if (v.isArray()) {
      double[] out = new double[v.size()];
      for (int i = 0; i < out.length; i++) {
        JsonNode item = v.get(i);
        if (!item.isNumber() || !Double.isFinite(item.doubleValue())) {
          throw new RopeConfigException(modelId, path + "[" + i + "]", JsonFields.abbreviate(item),
              "= " + JsonFields.abbreviate(item) + " must be a finite number");
        }
        out[i] = item.doubleValue();
      }
      return out;
    }
    return JsonFields.abbreviate(v);
  }
}
