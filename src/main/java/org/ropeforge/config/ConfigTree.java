package org.ropeforge.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.ropeforge.core.RopeConfigException;

/**
 * A config's JSON tree with its language model located. Multimodal configs keep the language model's fields
 * under a nested key, and both semantics must read them there and name them with that key in messages.
 * Shared by {@link TransformersNormalizer} and {@link ExllamaV2Mapping}; never modified after parsing.
 */
final class ConfigTree {
  /** Keys under which multimodal configs keep the language model's config, in the order they are tried. */
  private static final List<String> TEXT_CONFIG_KEYS = List.of("text_config", "language_config", "llm_config");
  /** Largest head dimension accepted; real models use at most 512. */
  static final int MAX_HEAD_DIM = 1 << 16;

  private final String modelId;
  private final JsonNode root;
  private final JsonNode text;
  private final String textPrefix;
  private final String family;
  private final JsonFields fields;

  ConfigTree(String modelId, JsonNode root) {
    this.modelId = modelId;
    this.root = root;
    this.fields = new JsonFields(modelId);
    JsonNode nested = null;
    String prefix = "";
    String rootType = fields.optString(root, "model_type", "model_type");
    List<String> familyPath = FamilyRules.of(FamilyDefaults.family(rootType)).textConfigPath(
        FamilyDefaults.family(rootType));
    JsonNode candidate = familyPath.isEmpty() ? null : root;
    for (String key : familyPath) {
      candidate = candidate == null ? null : fields.optObject(candidate, key, prefix + key);
      prefix += key + ".";
    }
    if (candidate != null) {
      nested = candidate;
    } else {
      prefix = "";
    }
    for (String key : nested != null ? List.<String>of() : TEXT_CONFIG_KEYS) {
      JsonNode generic = fields.optObject(root, key, key);
      if (generic != null) {
        nested = generic;
        prefix = key + ".";
        break;
      }
    }
    this.text = nested == null ? root : nested;
    this.textPrefix = prefix;
    String modelType = fields.optString(text, "model_type", textPrefix + "model_type");
    if (modelType == null) {
      modelType = fields.optString(root, "model_type", "model_type");
    }
    this.family = FamilyDefaults.family(modelType);
  }

  String modelId() {
    return modelId;
  }

  /** The whole config. */
  JsonNode root() {
    return root;
  }

  /** The language model's part: the nested config, or the root when there is none. */
  JsonNode text() {
    return text;
  }

  boolean isNested() {
    return text != root;
  }

  /** {@code "text_config."} and the like when the language model is nested, else empty. */
  String textPrefix() {
    return textPrefix;
  }

  /** How a key of the language model's part is named in messages. */
  String textPath(String key) {
    return textPrefix + key;
  }

  /** The model family ({@link FamilyDefaults#family}), or empty when the config has no model_type. */
  String family() {
    return family;
  }

  /** Typed reads whose errors name this model. */
  JsonFields fields() {
    return fields;
  }

  /** The head dimension as an int, refused with {@code field} when out of bounds. */
  int checkedHeadDim(long headDim, String field) {
    if (headDim > MAX_HEAD_DIM || headDim < 1) {
      throw new RopeConfigException(modelId, field, Long.toString(headDim),
          "gives head_dim " + headDim + ", which must be between 1 and " + MAX_HEAD_DIM);
    }
    return (int) headDim;
  }
}
