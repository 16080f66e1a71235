package org.ropeforge.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ropeforge.config.TransformersSemantics.HeadDim;
import org.ropeforge.config.TransformersSemantics.LayerSpec;
import org.ropeforge.core.LayerRope.MropeOrder;
import org.ropeforge.core.RopeConfigException;
import org.ropeforge.core.RopeParams;
import org.ropeforge.core.RopeVariant;
import org.ropeforge.core.variant.RopeVariants;

/**
 * Normalises a config into {@link TransformersSemantics} as transformers 5.x does: reads the RoPE dictionary in
 * either dialect (v4 rope_scaling, v5 rope_parameters; flat or per layer type) and fills what it leaves out from
 * the top level, the aliases and the family defaults. Every rule that fires is recorded, in the order it fires,
 * so that an instance serves one normalisation. What only some families do is in their {@link FamilyRule}.
 */
final class TransformersNormalizer {
  /** Layer-type labels that mark a per-layer-type rope_parameters dictionary. */
  private static final Set<String> KNOWN_LAYER_TYPES = Set.of("full_attention", "sliding_attention",
      "chunked_attention", "linear_attention", "local_attention", "global_attention");

  private final ConfigTree config;
  private final JsonFields fields;
  private final JsonNode text;
  private final String family;
  private final FamilyRule familyRule;
  private final List<String> rules = new ArrayList<>();
  private final List<String> warnings = new ArrayList<>();

  private TransformersNormalizer(ConfigTree config) {
    this.config = config;
    this.fields = config.fields();
    this.text = config.text();
    this.family = config.family();
    this.familyRule = FamilyRules.of(family);
  }

  static TransformersSemantics normalize(ConfigTree config) {
    return new TransformersNormalizer(config).normalize();
  }

  private TransformersSemantics normalize() {
    if (config.isNested()) {
      String prefix = config.textPrefix();
      rules.add("nested config: RoPE fields read from " + prefix.substring(0, prefix.length() - 1));
    }
    HeadDim headDim = headDim();
    long maxPositions = maxPositions();

    JsonNode scaling = ropeDictionary("rope_scaling");
    JsonNode parameters = ropeDictionary("rope_parameters");
    JsonNode dict;
    String dictPath;
    if (scaling != null && scaling.size() > 0) {
      dict = scaling;
      dictPath = config.textPath("rope_scaling");
      rules.add("HF v4 rope_scaling read as rope_parameters");
      if (parameters != null && parameters.size() > 0) {
        warnings.add("model '" + config.modelId() + "': both rope_scaling and rope_parameters are set; "
            + "rope_scaling wins, as in transformers");
      }
    } else if (parameters != null) {
      dict = parameters;
      dictPath = config.textPath("rope_parameters");
    } else {
      dict = JsonNodeFactory.instance.objectNode();
      dictPath = config.textPath("rope_parameters");
    }

    boolean perLayerType = isPerLayerType(dict);
    if (perLayerType) {
      refuseUndeclaredLayerTypes(dict, dictPath);
    }
    familyRule.refuse(this, dict, perLayerType);
    List<LayerSpec> layers = new ArrayList<>();
    if (perLayerType) {
      layers.addAll(perLayerTypeLayers(dict, dictPath, headDim, maxPositions));
    } else {
      List<LayerSpec> familyLayers = familyRule.flatLayers(this, dict, dictPath, headDim, maxPositions);
      if (familyLayers != null) {
        layers.addAll(familyLayers);
      } else {
        RopeParams.Builder b = readDictionary(dict, dictPath);
        if (dict.size() == 0) {
          familyRule.emptyDictionaryDefaults(b, dictPath, rules);
        }
        fillFromTopLevelAndDefaults(b, dictPath, headDim, maxPositions, true);
        layers.add(layerSpec(null, b, headDim));
      }
    }
    if (layers.isEmpty()) {
      throw new RopeConfigException(config.modelId(), dictPath, JsonFields.abbreviate(dict),
          "has no layer type with RoPE");
    }
    boolean partialInDefault = FamilyDefaults.defaultHonoursPartial(family);
    if (!partialInDefault) {
      for (LayerSpec l : layers) {
        if ("default".equals(l.params().ropeType()) && l.params().optDouble("partial_rotary_factor", 1.0) != 1.0) {
          rules.add(family + ": plain RoPE ignores partial_rotary_factor, as transformers' " + family
              + " rotary embedding does");
          break;
        }
      }
    }
    boolean multiHeadLatentAttention = text.has("kv_lora_rank") || text.has("qk_rope_head_dim");
    return new TransformersSemantics(config.modelId(), layers, maxPositions, partialInDefault,
        multiHeadLatentAttention, rules, warnings);
  }

  ConfigTree config() {
    return config;
  }

  /** The rules fired so far; family rules add theirs here, keeping the order in which they fire. */
  List<String> rules() {
    return rules;
  }

  /**
   * One layer spec per entry of a per-layer-type dictionary. An entry whose layer type no layer has is dropped
   * when layer_types names at least one of the dictionary's keys: transformers' per-layer-type rotary embeddings
   * build, and the models call, only the layer types in set(layer_types).
   */
  List<LayerSpec> perLayerTypeLayers(JsonNode dict, String dictPath, HeadDim headDim, long maxPositions) {
    rules.add("per-layer-type rope_parameters: one table set per layer type");
    Set<String> used = usedLayerTypes(dict);
    List<LayerSpec> layers = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = dict.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String path = dictPath + "." + e.getKey();
      if (e.getValue().isNull()) {
        rules.add("layer type " + e.getKey() + " has no RoPE (null entry): no table");
        continue;
      }
      if (!e.getValue().isObject()) {
        throw new RopeConfigException(config.modelId(), path, JsonFields.abbreviate(e.getValue()),
            "= " + JsonFields.abbreviate(e.getValue()) + " must be an object (the layer type's parameters) or null");
      }
      if (used != null && !used.contains(e.getKey())) {
        rules.add("layer type " + e.getKey() + " is in no layer of layer_types: no table");
        continue;
      }
      RopeParams.Builder b = readDictionary(e.getValue(), path);
      HeadDim layerHeadDim = familyRule.perLayerTypeHeadDim(this, e.getKey(), headDim);
      fillFromTopLevelAndDefaults(b, path, layerHeadDim, maxPositions, false);
      layers.add(layerSpec(e.getKey(), b, layerHeadDim));
    }
    return layers;
  }

  /** The layer types of layer_types when it names a key of {@code dict}, else null (no filtering). */
  private Set<String> usedLayerTypes(JsonNode dict) {
    JsonNode layerTypes = text.get("layer_types");
    if (layerTypes == null || !layerTypes.isArray()) {
      return null;
    }
    Set<String> used = new LinkedHashSet<>();
    for (JsonNode t : layerTypes) {
      if (t.isTextual()) {
        used.add(t.textValue());
      }
    }
    for (Iterator<String> it = dict.fieldNames(); it.hasNext(); ) {
      if (used.contains(it.next())) {
        return used;
      }
    }
    return null;
  }

  /** The dictionary at {@code path}, its legacy names mapped (each mapping is a rule). */
  RopeParams.Builder readDictionary(JsonNode dict, String path) {
    return RopeDictionaryReader.read(config, dict, path, rules);
  }

  /** The layer's variant, and a warning for each of its keys that the variant does not read. */
  LayerSpec layerSpec(String layerType, RopeParams.Builder b, HeadDim headDim) {
    if (!familyRule.readsPartialRotaryFactor() && b.has("partial_rotary_factor")) {
      b.put("partial_rotary_factor", 1.0, "partial_rotary_factor");
      rules.add(family + ": partial_rotary_factor is not applied by its rotary embedding -> 1.0");
    }
    MropeOrder mropeOrder = familyRule.mropeOrder(this, b, layerType, headDim);
    RopeParams params = b.build();
    RopeVariant variant = RopeVariants.forParams(params);
    warnings.addAll(RopeVariants.validateKeys(variant, params));
    return new LayerSpec(layerType, params, variant, headDim, mropeOrder);
  }

  private HeadDim headDim() {
    HeadDim familyHeadDim = familyRule.headDim(this);
    if (familyHeadDim != null) {
      return familyHeadDim;
    }
    String qkRopePath = config.textPath("qk_rope_head_dim");
    Long qkRope = fields.optPositiveInt(text, "qk_rope_head_dim", qkRopePath);
    if (qkRope != null) {
      rules.add("qk_rope_head_dim -> head_dim (multi-head latent attention rotates only the rope part)");
      return new HeadDim(config.checkedHeadDim(qkRope, qkRopePath), qkRopePath);
    }
    String headDimPath = config.textPath("head_dim");
    Long explicit = fields.optPositiveInt(text, "head_dim", headDimPath);
    if (explicit != null) {
      return new HeadDim(config.checkedHeadDim(explicit, headDimPath), headDimPath);
    }
    Integer familyDefault = FamilyDefaults.headDim(family);
    if (familyDefault != null && !text.has("head_dim")) {
      rules.add("head_dim missing -> " + familyDefault + " (" + family + " default)");
      return new HeadDim(familyDefault, headDimPath);
    }
    String hiddenKey = alias("hidden_size");
    String headsKey = alias("num_attention_heads");
    Long hidden = fields.optPositiveInt(text, hiddenKey, config.textPath(hiddenKey));
    Long heads = fields.optPositiveInt(text, headsKey, config.textPath(headsKey));
    if (hidden == null || heads == null) {
      String missing = hidden == null ? hiddenKey : headsKey;
      throw new RopeConfigException(config.modelId(), config.textPath(missing), null,
          "is missing, and head_dim is " + (text.has("head_dim") ? "null" : "missing")
              + ": the head dimension cannot be derived");
    }
    rules.add("head_dim " + (text.has("head_dim") ? "null" : "missing") + " -> " + hiddenKey + " // "
        + headsKey + " = " + hidden / heads);
    String hiddenPath = config.textPath(hiddenKey);
    return new HeadDim(config.checkedHeadDim(hidden / heads, hiddenPath), hiddenPath);
  }

  private long maxPositions() {
    for (String key : new LinkedHashSet<>(List.of(alias("max_position_embeddings"), "max_position_embeddings",
        "seq_length", "n_positions", "max_sequence_length"))) {
      Long v = fields.optPositiveInt(text, key, config.textPath(key));
      if (v != null) {
        if (v > RopeParams.MAX_POSITIONS) {
          throw new RopeConfigException(config.modelId(), config.textPath(key), Long.toString(v),
              "= " + v + " must be at most " + RopeParams.MAX_POSITIONS + " (2^31)");
        }
        if (!key.equals("max_position_embeddings")) {
          rules.add(key + " -> max_position_embeddings");
        }
        return v;
      }
    }
    Long familyDefault = FamilyDefaults.maxPositions(family);
    long value = familyDefault == null ? FamilyDefaults.DEFAULT_MAX_POSITIONS : familyDefault;
    rules.add("max_position_embeddings missing -> " + value + " ("
        + (familyDefault == null ? "transformers' Llama default" : family + " default") + ")");
    return value;
  }

  /** The name under which this family's config class keeps a generic field (its attribute_map). */
  private String alias(String key) {
    return familyRule.attributeMap().getOrDefault(key, key);
  }

  private JsonNode ropeDictionary(String key) {
    return fields.optObject(text, key, config.textPath(key));
  }

  /**
   * transformers 5.18 reads a dictionary as per layer type only when its keys are layer types the config declares
   * (layer_types, or the family's own labels); otherwise it reads it as one flat dictionary and ignores the nested
   * entries. Whether the config class declares layer_types of its own cannot be seen from a config that has none,
   * so such a dictionary is refused rather than given tables the model would not use.
   */
  private void refuseUndeclaredLayerTypes(JsonNode dict, String dictPath) {
    Set<String> declared = new LinkedHashSet<>(familyRule.perLayerTypeKeys());
    JsonNode layerTypes = text.get("layer_types");
    if (layerTypes != null && layerTypes.isArray()) {
      for (JsonNode t : layerTypes) {
        if (t.isTextual()) {
          declared.add(t.textValue());
        }
      }
    }
    for (Iterator<String> it = dict.fieldNames(); it.hasNext(); ) {
      if (declared.contains(it.next())) {
        return;
      }
    }
    throw new RopeConfigException(config.modelId(), dictPath, JsonFields.abbreviate(dict),
        "= " + JsonFields.abbreviate(dict) + " is keyed by layer type, but the config declares no layer_types naming "
            + "them: transformers 5.18 then reads it as one flat dictionary and ignores the nested entries; give "
            + "layer_types, or a flat dictionary");
  }

  private boolean isPerLayerType(JsonNode dict) {
    Set<String> labels = new LinkedHashSet<>(KNOWN_LAYER_TYPES);
    labels.addAll(familyRule.perLayerTypeKeys());
    JsonNode layerTypes = text.get("layer_types");
    if (layerTypes != null && layerTypes.isArray()) {
      for (JsonNode t : layerTypes) {
        if (t.isTextual()) {
          labels.add(t.textValue());
        }
      }
    }
    for (Iterator<String> it = dict.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      JsonNode value = dict.get(key);
      if (labels.contains(key) && (value.isObject() || value.isNull())) {
        return true;
      }
    }
    return false;
  }

  /**
   * theta, partial rotary and original length, from the top level, the aliases and the family defaults, as
   * transformers does. {@code flat}: a flat dictionary, into which transformers copies the top-level
   * original_max_position_embeddings (Phi-3: its default); a per-layer-type entry keeps its own.
   */
  void fillFromTopLevelAndDefaults(RopeParams.Builder b, String dictPath, HeadDim headDim, long maxPositions,
      boolean flat) {
    if (!b.has("rope_theta")) {
      Double theta = fields.optNumber(text, "rope_theta", config.textPath("rope_theta"));
      if (theta != null) {
        b.put("rope_theta", theta, config.textPath("rope_theta"));
        rules.add("top-level rope_theta -> " + dictPath + ".rope_theta");
      } else if ((theta = fields.optNumber(text, "rotary_emb_base", config.textPath("rotary_emb_base"))) != null) {
        b.put("rope_theta", theta, config.textPath("rotary_emb_base"));
        rules.add("rotary_emb_base -> rope_theta");
      } else if ((theta = fields.optNumber(text, "rope_ratio", config.textPath("rope_ratio"))) != null) {
        b.put("rope_theta", FamilyDefaults.DEFAULT_THETA * theta, config.textPath("rope_ratio"));
        rules.add("rope_ratio -> rope_theta = 10000 x rope_ratio");
      } else {
        Double familyTheta = FamilyDefaults.theta(family);
        double value = familyTheta == null ? FamilyDefaults.DEFAULT_THETA : familyTheta;
        b.put("rope_theta", value, "rope_theta");
        rules.add("rope_theta missing -> " + value + (familyTheta == null ? " (transformers default)"
            : " (" + family + " default)"));
      }
    }
    if (!b.has("partial_rotary_factor")) {
      Double partial = fields.optNumber(text, "partial_rotary_factor", config.textPath("partial_rotary_factor"));
      if (partial != null) {
        b.put("partial_rotary_factor", partial, config.textPath("partial_rotary_factor"));
      } else if ((partial = fields.optNumber(text, "rotary_pct", config.textPath("rotary_pct"))) != null) {
        b.put("partial_rotary_factor", partial, config.textPath("rotary_pct"));
        rules.add("rotary_pct -> partial_rotary_factor");
      } else if ((partial = fields.optNumber(text, "rotary_emb_fraction", config.textPath("rotary_emb_fraction")))
          != null) {
        b.put("partial_rotary_factor", partial, config.textPath("rotary_emb_fraction"));
        rules.add("rotary_emb_fraction -> partial_rotary_factor");
      } else {
        Long rotaryDim = familyRule.readsRotaryDim()
            ? fields.optPositiveInt(text, "rotary_dim", config.textPath("rotary_dim")) : null;
        if (rotaryDim != null) {
          b.put("partial_rotary_factor", (double) rotaryDim / headDim.dim(), config.textPath("rotary_dim"));
          rules.add("rotary_dim -> partial_rotary_factor = rotary_dim / head_dim");
        } else if (FamilyDefaults.partial(family) != null) {
          b.put("partial_rotary_factor", FamilyDefaults.partial(family), "partial_rotary_factor");
          rules.add("partial_rotary_factor missing -> " + FamilyDefaults.partial(family) + " (" + family
              + " default)");
        }
      }
    }
    Object type = b.get("rope_type");
    if ("llama3".equals(type) || "yarn".equals(type) || "longrope".equals(type)) {
      String topLevelPath = config.textPath("original_max_position_embeddings");
      Long topLevel = fields.optPositiveInt(text, "original_max_position_embeddings", topLevelPath);
      if (flat && topLevel != null) {
        b.put("original_max_position_embeddings", (double) topLevel, topLevelPath);
        rules.add("top-level original_max_position_embeddings -> " + dictPath
            + ".original_max_position_embeddings (it wins, as in transformers)");
      } else if (flat && FamilyDefaults.PHI3.contains(family)) {
        b.put("original_max_position_embeddings", 4096.0, "original_max_position_embeddings");
        rules.add(family + ": original_max_position_embeddings missing -> 4096 (Phi-3 config default)");
      } else if (!b.has("original_max_position_embeddings")) {
        b.put("original_max_position_embeddings", (double) maxPositions, dictPath
            + ".original_max_position_embeddings");
        rules.add("original_max_position_embeddings missing -> max_position_embeddings = " + maxPositions);
      }
      if ("yarn".equals(type) && !b.has("factor")) {
        Object original = b.get("original_max_position_embeddings");
        if (original instanceof Double o && o > 0) {
          b.put("factor", maxPositions / o, dictPath + ".factor");
          rules.add("yarn factor missing -> max_position_embeddings / original_max_position_embeddings");
        }
      }
    }
  }
}
