package org.ropeforge.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.ResolvedRope;
import org.ropeforge.core.RopeConfigException;
import org.ropeforge.core.RopeParams;
import org.ropeforge.core.Semantics;
import org.ropeforge.core.exl2.Exl2Settings;
import org.ropeforge.core.exl2.ExllamaV2Rope;

/**
 * Maps a config to ExLlamaV2's {@code get_rope_params} semantics: reads config.json the way ExLlamaV2's config
 * loader does (top level first, then the nested text config; rope_scaling only, never HF v5 rope_parameters)
 * into {@link Exl2Settings}, and computes each layer with {@link ExllamaV2Rope}. It does not go through the
 * transformers normalisation: ExLlamaV2 has its own defaults and reads fewer aliases. Its architecture quirks
 * are keyed by family here: Gemma 3 (theta, head dim, positions from 1, plain sliding layers) and Qwen2-VL
 * (float16 frequencies). Fields are read in a fixed order, so that of several problems in a config the same
 * one is reported first, run after run.
 */
final class ExllamaV2Mapping {
  /** ExLlamaV2's fields for the trained length, in the order its loader tries them. */
  private static final List<String> TRAINED_LENGTH_KEYS = List.of("max_sequence_length", "model_max_length",
      "max_position_embeddings", "max_seq_len", "n_positions");
  /** ExLlamaV2's trained length when a config names none. */
  private static final long DEFAULT_TRAINED_LENGTH = 2048;

  private final ConfigTree config;
  private final JsonFields fields;
  private final String modelId;
  private final String family;
  private final List<String> rules = new ArrayList<>();
  /** original_max_seq_len: the trained length, which su replaces by original_max_position_embeddings. */
  private long originalMaxSeqLen;

  private ExllamaV2Mapping(ConfigTree config) {
    this.config = config;
    this.fields = config.fields();
    this.modelId = config.modelId();
    this.family = config.family();
  }

  static ResolvedRope resolve(ConfigTree config, long contextLength, RopeResolver.Options options) {
    return new ExllamaV2Mapping(config).resolve(contextLength, options);
  }

  private ResolvedRope resolve(long contextLength, RopeResolver.Options options) {
    long maxSeqLen = options.maxSeqLen() > 0 ? options.maxSeqLen() : contextLength;
    double theta = ropeTheta();
    int headDim = headDim();
    originalMaxSeqLen = trainedLength();
    Double partialValue = fields.optNumber(config.root(), "partial_rotary_factor", "partial_rotary_factor");
    double partial = partialValue == null ? 1.0 : partialValue;

    Exl2Settings.Builder scaledLayer = Exl2Settings.builder(modelId).base(theta);
    readRopeScaling(scaledLayer);
    boolean freqHalf = FamilyDefaults.QWEN2_VL.contains(family);
    if (freqHalf) {
      rules.add("exllamav2: " + family + " architecture stores inv_freq as float16 (rope_freq_half)");
    }
    UnaryOperator<Exl2Settings.Builder> sharedByAllLayers = layer -> layer.headDim(headDim)
        .partialRotaryFactor(partial).maxSeqLen(maxSeqLen).originalMaxSeqLen(originalMaxSeqLen)
        .scaleAlphaValue(options.alpha()).ropeFreqHalf(freqHalf);
    List<LayerRope> layers = new ArrayList<>();
    if (family.equals("gemma3")) {
      rules.add("exllamav2: gemma3 positions start at 1 (pos_id_index); sliding layers use theta 10000, no scaling");
      Exl2Settings full = sharedByAllLayers.apply(scaledLayer).layerType("full_attention").posIdIndex(1)
          .build();
      layers.add(ExllamaV2Rope.compute(full, options.precision()));
      Exl2Settings sliding = sharedByAllLayers.apply(Exl2Settings.builder(modelId)).layerType("sliding_attention")
          .base(10_000.0).posIdIndex(1).build();
      layers.add(ExllamaV2Rope.compute(sliding, options.precision()));
    } else {
      layers.add(ExllamaV2Rope.compute(sharedByAllLayers.apply(scaledLayer).build(), options.precision()));
    }
    return new ResolvedRope(modelId, contextLength, Semantics.EXLLAMAV2, options.precision(), rules, List.of(),
        layers);
  }

  private double ropeTheta() {
    Double theta = firstNumber("rope_theta");
    if (theta == null) {
      JsonNode attn = fields.optObject(config.root(), "attn_config", "attn_config");
      theta = attn == null ? null : fields.optNumber(attn, "rope_theta", "attn_config.rope_theta");
    }
    if (theta == null) {
      theta = family.equals("gemma3") ? 1_000_000.0 : 10_000.0;
      rules.add("exllamav2: rope_theta missing -> " + theta + " (architecture default)");
    }
    return theta;
  }

  private int headDim() {
    Long head = firstPositiveInt("head_dim");
    if (head != null) {
      return config.checkedHeadDim(head, "head_dim");
    }
    if (family.equals("gemma3")) {
      return 256;
    }
    Long hidden = firstPositiveInt("hidden_size");
    Long heads = firstPositiveInt("num_attention_heads");
    if (hidden == null || heads == null) {
      throw new RopeConfigException(modelId, hidden == null ? "hidden_size" : "num_attention_heads", null,
          "is missing, and head_dim is missing: the head dimension cannot be derived");
    }
    return config.checkedHeadDim(hidden / heads, "hidden_size");
  }

  private long trainedLength() {
    for (String key : TRAINED_LENGTH_KEYS) {
      Long v = firstPositiveInt(key);
      if (v != null) {
        return v;
      }
    }
    return DEFAULT_TRAINED_LENGTH;
  }

  /** Sets the method-specific values from rope_scaling; without one, plain RoPE. */
  private void readRopeScaling(Exl2Settings.Builder scaledLayer) {
    JsonNode scaling = fields.optObject(config.root(), "rope_scaling", "rope_scaling");
    String scalingPath = "rope_scaling";
    if (scaling == null && config.isNested()) {
      scalingPath = config.textPath("rope_scaling");
      scaling = fields.optObject(config.text(), "rope_scaling", scalingPath);
    }
    if (scaling == null && config.text().has("rope_parameters")) {
      rules.add("exllamav2: rope_parameters (HF v5) is not read: plain RoPE");
    }
    if (scaling == null) {
      return;
    }
    String ropeType = fields.optString(scaling, "rope_type", scalingPath + ".rope_type");
    String legacy = fields.optString(scaling, "type", scalingPath + ".type");
    if (ropeType != null && legacy != null) {
      throw new RopeConfigException(modelId, scalingPath + ".type", '"' + legacy + '"',
          "= \"" + legacy + "\" is given together with " + scalingPath + ".rope_type = \"" + ropeType
              + "\"; ExLlamaV2 accepts only one of them");
    }
    String type = ropeType != null ? ropeType : legacy;
    // transformers' alias rules do not describe what ExLlamaV2 does, so the rules the reader fires are dropped
    RopeParams p = RopeDictionaryReader.read(config, scaling, scalingPath, new ArrayList<>()).build();
    switch (type == null ? "" : type) {
      case "linear" -> {
        scaledLayer.scalePosEmb(p.requireFactor("factor"));
        rules.add("exllamav2: linear factor -> scale_pos_emb (positions divided, frequencies kept)");
      }
      case "su", "longrope" -> {
        scaledLayer.altRopeMethod("su")
            .shortFactor(factorListOrNull(p, "short_factor"))
            .longFactor(factorListOrNull(p, "long_factor"));
        Long top = firstPositiveInt("original_max_position_embeddings");
        if (top == null) {
          throw new RopeConfigException(modelId, "original_max_position_embeddings", null,
              "is required at the top level by ExLlamaV2's su method but missing");
        }
        originalMaxSeqLen = top;
      }
      case "yarn" -> scaledLayer.altRopeMethod("yarn")
          .yarnFactor(p.requireFactor("factor"))
          .yarnOriginalMax(p.requirePositiveInteger("original_max_position_embeddings"));
      case "llama3" -> scaledLayer.altRopeMethod("llama3")
          .l3Factor(p.requireFactor("factor"))
          .l3LowFreqFactor(p.requirePositive("low_freq_factor"))
          .l3HighFreqFactor(p.requirePositive("high_freq_factor"))
          .l3OriginalMax(p.requirePositiveInteger("original_max_position_embeddings"));
      case "mrope" -> scaledLayer.mropeSection(mropeSection(p));
      default -> rules.add("exllamav2: rope_scaling type '" + type + "' is not implemented there: plain RoPE");
    }
  }

  private static double[] factorListOrNull(RopeParams p, String key) {
    Object v = p.raw(key);
    if (v != null && !(v instanceof double[])) {
      throw p.error(key, RopeParams.describe(v), "must be a list of numbers");
    }
    return (double[]) v;
  }

  /** ExLlamaV2 truncates the sections to ints; anything but a list of numbers leaves none. */
  private static int[] mropeSection(RopeParams p) {
    if (!(p.raw("mrope_section") instanceof double[] s)) {
      return null;
    }
    int[] section = new int[s.length];
    for (int i = 0; i < s.length; i++) {
      section[i] = (int) s[i];
    }
    return section;
  }

  private Double firstNumber(String key) {
    Double v = fields.optNumber(config.root(), key, key);
    return v != null || !config.isNested() ? v : fields.optNumber(config.text(), key, config.textPath(key));
  }

  private Long firstPositiveInt(String key) {
    Long v = fields.optPositiveInt(config.root(), key, key);
    return v != null || !config.isNested() ? v : fields.optPositiveInt(config.text(), key, config.textPath(key));
  }
}
