package org.ropeforge.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.ResolvedRope;
import org.ropeforge.core.RopeConfigException;
import org.ropeforge.core.RopeParams;
import org.ropeforge.core.RopeVariant;
import org.ropeforge.core.Semantics;
import org.ropeforge.core.VariantInput;
import org.ropeforge.core.exl2.Exl2Settings;
import org.ropeforge.core.exl2.ExllamaV2Rope;
import org.ropeforge.core.variant.RopeVariants;

/**
 * A parsed config.json, normalised the way transformers 5.x standardises RoPE parameters, ready to resolve
 * at any context length. Parsing is bounded (size, nesting, string and number lengths), so untrusted bytes
 * cannot exhaust the JVM.
 */
public final class ModelConfig {
  /** Largest config accepted; real configs are kilobytes, tokenizer-embedded ones a few megabytes. */
  public static final int MAX_CONFIG_BYTES = 16 * 1024 * 1024;
  /** Deepest JSON nesting accepted; real configs nest three or four levels. */
  public static final int MAX_NESTING_DEPTH = 64;

  // NaN and Infinity are accepted by the parser (Python's json writes them) so that they are refused with
  // the field's name by the checks, rather than as an anonymous syntax error.
  private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
      .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxNestingDepth(MAX_NESTING_DEPTH)
          .maxStringLength(1 << 20)
          .maxNumberLength(400)
          .maxDocumentLength(MAX_CONFIG_BYTES)
          .build())
      .build());

  /** Keys under which multimodal configs keep the language model's config. */
  private static final List<String> TEXT_CONFIG_KEYS = List.of("text_config", "language_config", "llm_config");
  /** Layer-type labels that mark a per-layer-type rope_parameters dictionary. */
  private static final Set<String> KNOWN_LAYER_TYPES = Set.of("full_attention", "sliding_attention",
      "chunked_attention", "linear_attention", "local_attention", "global_attention");

  private final String modelId;
  private final String configSha256;
  private final JsonNode root;
  private final JsonNode text;
  private final String textPrefix;
  private final String family;
  private final JsonFields fields;
  private Normalized normalized;

  private ModelConfig(String modelId, String configSha256, JsonNode root) {
    this.modelId = modelId;
    this.configSha256 = configSha256;
    this.root = root;
    this.fields = new JsonFields(modelId);
    JsonNode nested = null;
    String prefix = "";
    for (String key : TEXT_CONFIG_KEYS) {
      JsonNode candidate = fields.optObject(root, key, key);
      if (candidate != null) {
        nested = candidate;
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

  static ModelConfig parse(String modelId, byte[] json) {
    if (json.length > MAX_CONFIG_BYTES) {
      throw new RopeConfigException(modelId, "", json.length + " bytes",
          "config is " + json.length + " bytes, over the limit of " + MAX_CONFIG_BYTES + " bytes");
    }
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? ""
          : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      throw new RopeConfigException(modelId, "", null, "config is not valid JSON" + where + ": "
          + e.getOriginalMessage());
    } catch (IOException e) {
      throw new RopeConfigException(modelId, "", null, "config could not be read: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      String value = root == null ? "empty" : JsonFields.abbreviate(root);
      throw new RopeConfigException(modelId, "", value, "config must be a JSON object, got " + value);
    }
    return new ModelConfig(modelId, sha256(json), root);
  }

  public String modelId() {
    return modelId;
  }

  /** Hex SHA-256 of the config bytes as read. */
  public String configSha256() {
    return configSha256;
  }

  /** The config's max_position_embeddings (or its alias, or the family default). */
  public long maxPositionEmbeddings() {
    return normalized().maxPositions;
  }

  /**
   * Context lengths to build when the catalog names none: max_position_embeddings, plus every layer's
   * original_max_position_embeddings when a scaled variant makes it a length of its own.
   */
  public List<Long> defaultContextLengths() {
    Normalized n = normalized();
    TreeSet<Long> lengths = new TreeSet<>();
    lengths.add(n.maxPositions);
    for (LayerSpec layer : n.layers) {
      if (!"default".equals(layer.params.ropeType()) && layer.params.has("original_max_position_embeddings")) {
        lengths.add(layer.params.requirePositiveInteger("original_max_position_embeddings"));
      }
    }
    return List.copyOf(lengths);
  }

  ResolvedRope resolve(long contextLength, RopeResolver.Options options) {
    if (contextLength < 1 || contextLength > RopeParams.MAX_POSITIONS) {
      throw new RopeConfigException(modelId, "context_length", Long.toString(contextLength),
          "= " + contextLength + " must be between 1 and " + RopeParams.MAX_POSITIONS + " (2^31)");
    }
    if (options.semantics() == Semantics.EXLLAMAV2) {
      return resolveExllamaV2(contextLength, options);
    }
    if (options.alpha() != 1.0) {
      throw new RopeConfigException(modelId, "alpha", Double.toString(options.alpha()),
          "= " + options.alpha() + " is ExLlamaV2's scale_alpha_value: use it with exllamav2 semantics "
              + "(a HunYuan config's own alpha is read from the config)");
    }
    Normalized n = normalized();
    List<LayerRope> layers = new ArrayList<>();
    for (LayerSpec spec : n.layers) {
      VariantInput input = new VariantInput(spec.params, spec.layerType, spec.headDim.dim(),
          spec.headDim.path(), n.partialInDefault,
          n.maxPositions, contextLength, options.precision(), n.softmaxScaleApplies);
      layers.add(spec.variant.compute(input));
    }
    return new ResolvedRope(modelId, contextLength, Semantics.TRANSFORMERS, options.precision(), n.rules,
        n.warnings, layers);
  }

  private synchronized Normalized normalized() {
    if (normalized == null) {
      normalized = normalizeForTransformers();
    }
    return normalized;
  }

  private record LayerSpec(String layerType, RopeParams params, RopeVariant variant, HeadDim headDim) {}

  /** A head dimension and the config field it came from. */
  private record HeadDim(int dim, String path) {}

  private record Normalized(List<LayerSpec> layers, long maxPositions, boolean partialInDefault,
      boolean softmaxScaleApplies, List<String> rules, List<String> warnings) {}

  // ---------------------------------------------------------------------------------------------------
  // transformers semantics

  private Normalized normalizeForTransformers() {
    List<String> rules = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    if (!textPrefix.isEmpty()) {
      rules.add("nested config: RoPE fields read from " + textPrefix.substring(0, textPrefix.length() - 1));
    }
    HeadDim headDim = headDim(rules);
    long maxPositions = maxPositions(rules);

    JsonNode scaling = ropeDictionary(text, "rope_scaling");
    JsonNode parameters = ropeDictionary(text, "rope_parameters");
    JsonNode dict;
    String dictPath;
    if (scaling != null && scaling.size() > 0) {
      dict = scaling;
      dictPath = textPrefix + "rope_scaling";
      rules.add("HF v4 rope_scaling read as rope_parameters");
      if (parameters != null && parameters.size() > 0) {
        warnings.add("model '" + modelId + "': both rope_scaling and rope_parameters are set; rope_scaling "
            + "wins, as in transformers");
      }
    } else if (parameters != null) {
      dict = parameters;
      dictPath = textPrefix + "rope_parameters";
    } else {
      dict = MAPPER.createObjectNode();
      dictPath = textPrefix + "rope_parameters";
    }

    List<LayerSpec> layers = new ArrayList<>();
    if (isPerLayerType(dict)) {
      rules.add("per-layer-type rope_parameters: one table set per layer type");
      for (Iterator<Map.Entry<String, JsonNode>> it = dict.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String path = dictPath + "." + e.getKey();
        if (e.getValue().isNull()) {
          rules.add("layer type " + e.getKey() + " has no RoPE (null entry): no table");
          continue;
        }
        if (!e.getValue().isObject()) {
          throw new RopeConfigException(modelId, path, JsonFields.abbreviate(e.getValue()),
              "= " + JsonFields.abbreviate(e.getValue()) + " must be an object (the layer type's parameters) or null");
        }
        RopeParams.Builder b = flatParams(e.getValue(), path, rules);
        fillCommon(b, path, headDim, maxPositions, false, rules);
        layers.add(spec(e.getKey(), b, headDim, warnings));
      }
    } else if (FamilyDefaults.GEMMA_PER_LAYER.contains(family)) {
      layers.addAll(gemmaLayers(dict, dictPath, headDim, maxPositions, rules, warnings));
    } else {
      RopeParams.Builder b = flatParams(dict, dictPath, rules);
      familyScalingDefaults(b, dict.size() == 0, dictPath, rules);
      fillCommon(b, dictPath, headDim, maxPositions, true, rules);
      layers.add(spec(null, b, headDim, warnings));
    }
    if (layers.isEmpty()) {
      throw new RopeConfigException(modelId, dictPath, JsonFields.abbreviate(dict),
          "has no layer type with RoPE");
    }
    boolean partialInDefault = FamilyDefaults.defaultHonoursPartial(family);
    if (!partialInDefault) {
      for (LayerSpec l : layers) {
        if ("default".equals(l.params.ropeType()) && l.params.optDouble("partial_rotary_factor", 1.0) != 1.0) {
          rules.add(family + ": plain RoPE ignores partial_rotary_factor, as transformers' " + family
              + " rotary embedding does");
          break;
        }
      }
    }
    boolean mla = text.has("kv_lora_rank") || text.has("qk_rope_head_dim");
    return new Normalized(List.copyOf(layers), maxPositions, partialInDefault, mla, List.copyOf(rules),
        List.copyOf(warnings));
  }

  private LayerSpec spec(String layerType, RopeParams.Builder b, HeadDim headDim, List<String> warnings) {
    RopeParams params = b.build();
    RopeVariant variant = RopeVariants.forParams(params);
    warnings.addAll(RopeVariants.validateKeys(variant, params));
    return new LayerSpec(layerType, params, variant, headDim);
  }

  private HeadDim headDim(List<String> rules) {
    Long qkRope = fields.optPositiveInt(text, "qk_rope_head_dim", textPrefix + "qk_rope_head_dim");
    if (qkRope != null) {
      rules.add("qk_rope_head_dim -> head_dim (multi-head latent attention rotates only the rope part)");
      return new HeadDim(checkedHeadDim(qkRope, textPrefix + "qk_rope_head_dim"), textPrefix + "qk_rope_head_dim");
    }
    Long explicit = fields.optPositiveInt(text, "head_dim", textPrefix + "head_dim");
    if (explicit != null) {
      return new HeadDim(checkedHeadDim(explicit, textPrefix + "head_dim"), textPrefix + "head_dim");
    }
    Integer familyDefault = FamilyDefaults.headDim(family);
    if (familyDefault != null && !text.has("head_dim")) {
      rules.add("head_dim missing -> " + familyDefault + " (" + family + " default)");
      return new HeadDim(familyDefault, textPrefix + "head_dim");
    }
    Long hidden = fields.optPositiveInt(text, "hidden_size", textPrefix + "hidden_size");
    Long heads = fields.optPositiveInt(text, "num_attention_heads", textPrefix + "num_attention_heads");
    if (hidden == null || heads == null) {
      String missing = hidden == null ? "hidden_size" : "num_attention_heads";
      throw new RopeConfigException(modelId, textPrefix + missing, null,
          "is missing, and head_dim is " + (text.has("head_dim") ? "null" : "missing")
              + ": the head dimension cannot be derived");
    }
    rules.add("head_dim " + (text.has("head_dim") ? "null" : "missing") + " -> hidden_size // "
        + "num_attention_heads = " + hidden / heads);
    return new HeadDim(checkedHeadDim(hidden / heads, textPrefix + "hidden_size"), textPrefix + "hidden_size");
  }

  /** Largest head dimension accepted; real models use at most 512. */
  static final int MAX_HEAD_DIM = 1 << 16;

  private int checkedHeadDim(long headDim, String field) {
    if (headDim > MAX_HEAD_DIM || headDim < 1) {
      throw new RopeConfigException(modelId, field, Long.toString(headDim),
          "gives head_dim " + headDim + ", which must be between 1 and " + MAX_HEAD_DIM);
    }
    return (int) headDim;
  }

  private long maxPositions(List<String> rules) {
    for (String key : List.of("max_position_embeddings", "seq_length", "n_positions", "max_sequence_length")) {
      Long v = fields.optPositiveInt(text, key, textPrefix + key);
      if (v != null) {
        if (v > RopeParams.MAX_POSITIONS) {
          throw new RopeConfigException(modelId, textPrefix + key, Long.toString(v),
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

  private JsonNode ropeDictionary(JsonNode node, String key) {
    return fields.optObject(node, key, textPrefix + key);
  }

  private boolean isPerLayerType(JsonNode dict) {
    Set<String> labels = new LinkedHashSet<>(KNOWN_LAYER_TYPES);
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

  /** Copies a flat dictionary, resolving type/rope_type and the legacy names. */
  private RopeParams.Builder flatParams(JsonNode dict, String path, List<String> rules) {
    RopeParams.Builder b = RopeParams.builder(modelId, path);
    for (Iterator<Map.Entry<String, JsonNode>> it = dict.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equals("type") || e.getKey().equals("rope_type")) {
        continue;
      }
      b.put(e.getKey(), jsonValue(e.getValue(), path + "." + e.getKey()), path + "." + e.getKey());
    }
    String ropeType = fields.optString(dict, "rope_type", path + ".rope_type");
    String legacyType = fields.optString(dict, "type", path + ".type");
    if (ropeType != null && legacyType != null
        && !canonicalType(ropeType, b).equals(canonicalType(legacyType, b))) {
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
    String canonical = canonicalType(type, b);
    if (!canonical.equals(type)) {
      rules.add(aliasRule(type, canonical, b));
    }
    b.put("rope_type", canonical, typePath);
    return b;
  }

  private String canonicalType(String type, RopeParams.Builder b) {
    return switch (type) {
      case "su" -> "longrope";
      case "mrope" -> "default";
      case "yarn" -> FamilyDefaults.PHI3.contains(family) ? "longrope" : "yarn";
      case "dynamic" -> b.has("alpha") ? "ntk_alpha" : "dynamic";
      default -> type;
    };
  }

  private String aliasRule(String from, String to, RopeParams.Builder b) {
    return switch (from) {
      case "su" -> "legacy rope_type 'su' -> longrope";
      case "mrope" -> "rope_type 'mrope' -> default, keeping mrope_section";
      case "yarn" -> family + ": legacy rope_type 'yarn' -> longrope (Phi-3 configs)";
      case "dynamic" -> "rope_type 'dynamic' with alpha -> ntk_alpha (HunYuan static NTK-alpha)";
      default -> "rope_type '" + from + "' -> " + to;
    };
  }

  private Object jsonValue(JsonNode v, String path) {
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

  /** theta, partial rotary and original length, from the top level and the aliases, as transformers does. */
  private void fillCommon(RopeParams.Builder b, String dictPath, HeadDim headDim, long maxPositions,
      boolean flat, List<String> rules) {
    if (!b.has("rope_theta")) {
      Double theta = fields.optNumber(text, "rope_theta", textPrefix + "rope_theta");
      if (theta != null) {
        b.put("rope_theta", theta, textPrefix + "rope_theta");
        rules.add("top-level rope_theta -> " + dictPath + ".rope_theta");
      } else if ((theta = fields.optNumber(text, "rotary_emb_base", textPrefix + "rotary_emb_base")) != null) {
        b.put("rope_theta", theta, textPrefix + "rotary_emb_base");
        rules.add("rotary_emb_base -> rope_theta");
      } else if ((theta = fields.optNumber(text, "rope_ratio", textPrefix + "rope_ratio")) != null) {
        b.put("rope_theta", FamilyDefaults.DEFAULT_THETA * theta, textPrefix + "rope_ratio");
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
      Double partial = fields.optNumber(text, "partial_rotary_factor", textPrefix + "partial_rotary_factor");
      if (partial != null) {
        b.put("partial_rotary_factor", partial, textPrefix + "partial_rotary_factor");
      } else if ((partial = fields.optNumber(text, "rotary_pct", textPrefix + "rotary_pct")) != null) {
        b.put("partial_rotary_factor", partial, textPrefix + "rotary_pct");
        rules.add("rotary_pct -> partial_rotary_factor");
      } else if ((partial = fields.optNumber(text, "rotary_emb_fraction", textPrefix + "rotary_emb_fraction"))
          != null) {
        b.put("partial_rotary_factor", partial, textPrefix + "rotary_emb_fraction");
        rules.add("rotary_emb_fraction -> partial_rotary_factor");
      } else {
        Long rotaryDim = fields.optPositiveInt(text, "rotary_dim", textPrefix + "rotary_dim");
        if (rotaryDim != null) {
          b.put("partial_rotary_factor", (double) rotaryDim / headDim.dim(), textPrefix + "rotary_dim");
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
      Long topLevel = fields.optPositiveInt(text, "original_max_position_embeddings",
          textPrefix + "original_max_position_embeddings");
      if (flat && topLevel != null) {
        b.put("original_max_position_embeddings", (double) topLevel, textPrefix + "original_max_position_embeddings");
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

  /** GPT-OSS and Ministral 3 configs may omit their YaRN block: transformers fills in the class defaults. */
  private void familyScalingDefaults(RopeParams.Builder b, boolean empty, String path, List<String> rules) {
    if (!empty) {
      return;
    }
    if (family.equals("gpt_oss")) {
      b.put("rope_type", "yarn", path + ".rope_type").put("factor", 32.0, path + ".factor")
          .put("beta_fast", 32.0, path + ".beta_fast").put("beta_slow", 1.0, path + ".beta_slow")
          .put("truncate", false, path + ".truncate")
          .put("original_max_position_embeddings", 4096.0, path + ".original_max_position_embeddings");
      rules.add("gpt_oss: no rope_scaling -> YaRN class defaults (factor 32, beta 32/1, truncate false, original 4096)");
    } else if (family.equals("ministral3")) {
      b.put("rope_type", "yarn", path + ".rope_type").put("factor", 16.0, path + ".factor")
          .put("beta_fast", 32.0, path + ".beta_fast").put("beta_slow", 1.0, path + ".beta_slow")
          .put("mscale", 1.0, path + ".mscale").put("mscale_all_dim", 1.0, path + ".mscale_all_dim")
          .put("original_max_position_embeddings", 16384.0, path + ".original_max_position_embeddings");
      rules.add("ministral3: no rope_parameters -> YaRN class defaults (factor 16, original 16384, mscale 1/1)");
    }
  }

  /** Gemma 3/4: a flat dictionary describes the global layers; sliding layers keep plain RoPE. */
  private List<LayerSpec> gemmaLayers(JsonNode dict, String dictPath, HeadDim headDim, long maxPositions,
      List<String> rules, List<String> warnings) {
    boolean gemma4 = family.equals("gemma4");
    RopeParams.Builder full = flatParams(dict, dictPath, rules);
    if (gemma4 && dict.size() == 0) {
      full.put("rope_type", "proportional", dictPath + ".rope_type")
          .put("partial_rotary_factor", 0.25, "partial_rotary_factor");
      rules.add("gemma4: global layers default to proportional RoPE, partial_rotary_factor 0.25");
    }
    fillCommon(full, dictPath, headDim, maxPositions, true, rules);
    HeadDim fullHeadDim = headDim;
    if (gemma4) {
      String path = textPrefix + "global_head_dim";
      Long global = fields.optPositiveInt(text, "global_head_dim", path);
      fullHeadDim = new HeadDim(global == null ? 512 : checkedHeadDim(global, path), path);
      rules.add("gemma4: global layers use global_head_dim = " + fullHeadDim.dim());
    }
    RopeParams.Builder sliding = RopeParams.builder(modelId, dictPath + ".sliding_attention").put("rope_type", "default", "rope_type");
    Double local = fields.optNumber(text, "rope_local_base_freq", textPrefix + "rope_local_base_freq");
    sliding.put("rope_theta", local == null ? 10_000.0 : local,
        local == null ? "rope_local_base_freq" : textPrefix + "rope_local_base_freq");
    rules.add(family + ": rope_scaling applies to full_attention only; sliding_attention uses "
        + "rope_local_base_freq" + (local == null ? " (default 10000)" : ""));
    return List.of(spec("full_attention", full, fullHeadDim, warnings),
        spec("sliding_attention", sliding, headDim, warnings));
  }

  // ---------------------------------------------------------------------------------------------------
  // ExLlamaV2 semantics

  private ResolvedRope resolveExllamaV2(long contextLength, RopeResolver.Options options) {
    List<String> rules = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    long maxSeqLen = options.maxSeqLen() > 0 ? options.maxSeqLen() : contextLength;
    Double theta = firstNumber("rope_theta");
    if (theta == null) {
      JsonNode attn = fields.optObject(root, "attn_config", "attn_config");
      theta = attn == null ? null : fields.optNumber(attn, "rope_theta", "attn_config.rope_theta");
    }
    if (theta == null) {
      theta = family.equals("gemma3") ? 1_000_000.0 : 10_000.0;
      rules.add("exllamav2: rope_theta missing -> " + theta + " (architecture default)");
    }
    Long head = firstPositiveInt("head_dim");
    int headDim;
    if (head != null) {
      headDim = checkedHeadDim(head, "head_dim");
    } else if (family.equals("gemma3")) {
      headDim = 256;
    } else {
      Long hidden = firstPositiveInt("hidden_size");
      Long heads = firstPositiveInt("num_attention_heads");
      if (hidden == null || heads == null) {
        throw new RopeConfigException(modelId, hidden == null ? "hidden_size" : "num_attention_heads", null,
            "is missing, and head_dim is missing: the head dimension cannot be derived");
      }
      headDim = checkedHeadDim(hidden / heads, "hidden_size");
    }
    long original = 2048;
    for (String key : List.of("max_sequence_length", "model_max_length", "max_position_embeddings",
        "max_seq_len", "n_positions")) {
      Long v = firstPositiveInt(key);
      if (v != null) {
        original = v;
        break;
      }
    }
    Double partialValue = fields.optNumber(root, "partial_rotary_factor", "partial_rotary_factor");
    double partial = partialValue == null ? 1.0 : partialValue;

    JsonNode scaling = fields.optObject(root, "rope_scaling", "rope_scaling");
    String scalingPath = "rope_scaling";
    if (scaling == null && text != root) {
      scaling = fields.optObject(text, "rope_scaling", textPrefix + "rope_scaling");
      scalingPath = textPrefix + "rope_scaling";
    }
    if (scaling == null && text.has("rope_parameters")) {
      rules.add("exllamav2: rope_parameters (HF v5) is not read: plain RoPE");
    }
    String method = null;
    double scalePosEmb = 1.0;
    double[] shortFactor = null;
    double[] longFactor = null;
    double yarnFactor = 1.0;
    long yarnOriginal = original;
    double l3Factor = 1;
    double l3Low = 1;
    double l3High = 1;
    long l3Original = original;
    int[] mropeSection = null;
    if (scaling != null) {
      String ropeType = fields.optString(scaling, "rope_type", scalingPath + ".rope_type");
      String legacy = fields.optString(scaling, "type", scalingPath + ".type");
      if (ropeType != null && legacy != null) {
        throw new RopeConfigException(modelId, scalingPath + ".type", '"' + legacy + '"',
            "= \"" + legacy + "\" is given together with " + scalingPath + ".rope_type = \"" + ropeType
                + "\"; ExLlamaV2 accepts only one of them");
      }
      String type = ropeType != null ? ropeType : legacy;
      RopeParams p = flatParams(scaling, scalingPath, new ArrayList<>()).build();
      switch (type == null ? "" : type) {
        case "linear" -> {
          scalePosEmb = p.requireFactor("factor");
          rules.add("exllamav2: linear factor -> scale_pos_emb (positions divided, frequencies kept)");
        }
        case "su", "longrope" -> {
          method = "su";
          shortFactor = (double[]) listOrNull(p, "short_factor");
          longFactor = (double[]) listOrNull(p, "long_factor");
          Long top = firstPositiveInt("original_max_position_embeddings");
          if (top == null) {
            throw new RopeConfigException(modelId, "original_max_position_embeddings", null,
                "is required at the top level by ExLlamaV2's su method but missing");
          }
          original = top;
        }
        case "yarn" -> {
          method = "yarn";
          yarnFactor = p.requireFactor("factor");
          yarnOriginal = p.requirePositiveInteger("original_max_position_embeddings");
        }
        case "llama3" -> {
          method = "llama3";
          l3Factor = p.requireFactor("factor");
          l3Low = p.requirePositive("low_freq_factor");
          l3High = p.requirePositive("high_freq_factor");
          l3Original = p.requirePositiveInteger("original_max_position_embeddings");
        }
        case "mrope" -> {
          Object section = p.raw("mrope_section");
          if (section instanceof double[] s) {
            mropeSection = new int[s.length];
            for (int i = 0; i < s.length; i++) {
              mropeSection[i] = (int) s[i];
            }
          }
        }
        default -> rules.add("exllamav2: rope_scaling type '" + type + "' is not implemented there: plain RoPE");
      }
    }
    boolean freqHalf = FamilyDefaults.QWEN2_VL.contains(family);
    if (freqHalf) {
      rules.add("exllamav2: " + family + " architecture stores inv_freq as float16 (rope_freq_half)");
    }
    List<LayerRope> layers = new ArrayList<>();
    if (family.equals("gemma3")) {
      rules.add("exllamav2: gemma3 positions start at 1 (pos_id_index); sliding layers use theta 10000, no scaling");
      layers.add(ExllamaV2Rope.compute(new Exl2Settings(modelId, "full_attention", method, theta, headDim,
          partial, maxSeqLen, original, scalePosEmb, options.alpha(), shortFactor, longFactor, yarnFactor,
          yarnOriginal, l3Factor, l3Low, l3High, l3Original, 1, freqHalf, mropeSection), options.precision()));
      layers.add(ExllamaV2Rope.compute(new Exl2Settings(modelId, "sliding_attention", null, 10_000.0, headDim,
          partial, maxSeqLen, original, 1.0, options.alpha(), null, null, 1, original, 1, 1, 1, original, 1,
          freqHalf, null), options.precision()));
    } else {
      layers.add(ExllamaV2Rope.compute(new Exl2Settings(modelId, null, method, theta, headDim, partial,
          maxSeqLen, original, scalePosEmb, options.alpha(), shortFactor, longFactor, yarnFactor, yarnOriginal,
          l3Factor, l3Low, l3High, l3Original, 0, freqHalf, mropeSection), options.precision()));
    }
    return new ResolvedRope(modelId, contextLength, Semantics.EXLLAMAV2, options.precision(), rules, warnings,
        layers);
  }

  private static Object listOrNull(RopeParams p, String key) {
    Object v = p.raw(key);
    if (v != null && !(v instanceof double[])) {
      throw p.error(key, RopeParams.describe(v), "must be a list of numbers");
    }
    return v;
  }

  private Double firstNumber(String key) {
    Double v = fields.optNumber(root, key, key);
    return v != null || text == root ? v : fields.optNumber(text, key, textPrefix + key);
  }

  private Long firstPositiveInt(String key) {
    Long v = fields.optPositiveInt(root, key, key);
    return v != null || text == root ? v : fields.optPositiveInt(text, key, textPrefix + key);
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

  @Override
  public String toString() {
    return "ModelConfig[" + modelId + ", " + new String(configSha256.getBytes(StandardCharsets.US_ASCII), 0, 12,
        StandardCharsets.US_ASCII) + "]";
  }
}
