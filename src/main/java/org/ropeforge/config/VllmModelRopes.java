package org.ropeforge.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.RopeConfigException;
import org.ropeforge.core.vllm.Grok1ScalingRope;

/**
 * The vLLM model code that does not go through {@code get_rope}'s reading of the rope dictionary as it is: Grok-1's
 * attention rotates hidden_size // num_attention_heads whatever head_dim says, and with a top-level
 * {@code rope_type} (Grok-2 checkpoints) builds {@code Grok1ScalingRotaryEmbedding} from top-level fields; a
 * dual-chunk-attention config replaces the rope altogether. Each is recognised here, from the config tree, before
 * the layer types are computed.
 */
final class VllmModelRopes {
  /** vLLM's architecture names of Grok-1, whose model code reads the top-level rope fields below. */
  static final List<String> GROK1_ARCHITECTURES = List.of("Grok1ForCausalLM", "Grok1ModelForCausalLM");
  /** Top-level key of Qwen's dual chunk attention. */
  static final String DUAL_CHUNK_ATTENTION = "dual_chunk_attention_config";

  /** Grok-1's top-level keys and the defaults its model code gives them. */
  static final String GROK_ROPE_TYPE = "rope_type";
  static final String GROK_ORIGINAL = "original_max_position_embeddings";
  static final String GROK_FACTOR = "scaling_factor";
  static final String GROK_EXTRAPOLATION_FACTOR = "extrapolation_factor";
  static final double GROK_EXTRAPOLATION_FACTOR_DEFAULT = 1.0;
  static final String GROK_ATTN_FACTOR = "attn_factor";
  static final double GROK_ATTN_FACTOR_DEFAULT = 1.0;
  static final String GROK_BETA_FAST = "beta_fast";
  static final double GROK_BETA_FAST_DEFAULT = 32;
  static final String GROK_BETA_SLOW = "beta_slow";
  static final double GROK_BETA_SLOW_DEFAULT = 1;
  static final String GROK_THETA = "rope_theta";
  static final double GROK_THETA_DEFAULT = 10000;
  static final String GROK_HALF_DIMS = "rope_rotate_half_dims";

  private VllmModelRopes() {}

  /** Refuses a config with dual chunk attention: see the README's vLLM section for why it has no table. */
  static void refuseDualChunkAttention(ConfigTree tree) {
    for (JsonNode node : List.of(tree.text(), tree.root())) {
      JsonNode dca = node.get(DUAL_CHUNK_ATTENTION);
      if (dca != null && !dca.isNull()) {
        String path = node == tree.text() ? tree.textPath(DUAL_CHUNK_ATTENTION) : DUAL_CHUNK_ATTENTION;
        throw new RopeConfigException(tree.modelId(), path, JsonFields.abbreviate(dca), "is refused: with dual "
            + "chunk attention vLLM builds DualChunkRotaryEmbedding, five caches of plain RoPE rows at positions "
            + "remapped per chunk (p mod (chunk_size - local_size) for keys and queries, shifted and clamped for the "
            + "successor and inter-chunk queries); no table indexed by the token position holds them");
      }
    }
  }

  static boolean isGrok1(ConfigTree tree) {
    JsonNode architectures = tree.root().get("architectures");
    if (architectures == null || !architectures.isArray()) {
      return false;
    }
    for (JsonNode a : architectures) {
      if (a.isTextual() && GROK1_ARCHITECTURES.contains(a.textValue())) {
        return true;
      }
    }
    return false;
  }

  /** Whether the config has Grok's top-level {@code rope_type}, which selects {@link Grok1ScalingRope}. */
  static boolean hasGrok1Scaling(ConfigTree tree) {
    String method = tree.fields().optString(tree.text(), GROK_ROPE_TYPE, tree.textPath(GROK_ROPE_TYPE));
    return method != null && !method.isEmpty();
  }

  /** Grok1Attention's head: hidden_size // num_attention_heads, whatever head_dim the config gives. */
  static TransformersSemantics.HeadDim grok1HeadDim(ConfigTree tree) {
    JsonFields f = tree.fields();
    long hidden = require(tree, f.optPositiveInt(tree.text(), "hidden_size", tree.textPath("hidden_size")),
        "hidden_size");
    long heads = require(tree, f.optPositiveInt(tree.text(), "num_attention_heads",
        tree.textPath("num_attention_heads")), "num_attention_heads");
    return new TransformersSemantics.HeadDim(tree.checkedHeadDim(hidden / heads, tree.textPath("hidden_size")),
        tree.textPath("hidden_size"));
  }

  /**
   * Grok-1's one layer when its config has a top-level {@code rope_type}: {@code Grok1ScalingRotaryEmbedding} as
   * the model code builds it; {@code warnings} gets what the table leaves out.
   */
  static LayerRope grok1Scaling(ConfigTree tree, long contextLength, Precision precision, List<String> warnings) {
    JsonFields f = tree.fields();
    JsonNode text = tree.text();
    String modelId = tree.modelId();
    int headDim = grok1HeadDim(tree).dim();
    int rotaryDim = halfDims(tree) ? headDim / 2 : headDim;
    if (rotaryDim < 2 || rotaryDim % 2 != 0) {
      throw new RopeConfigException(modelId, tree.textPath("hidden_size"), Integer.toString(headDim),
          "gives rotary_dim " + rotaryDim + " (hidden_size // num_attention_heads" + (halfDims(tree) ? " // 2" : "")
              + "), which must be even and at least 2");
    }
    Double thetaValue = f.optNumber(text, GROK_THETA, tree.textPath(GROK_THETA));
    double theta = Math.floor(thetaValue == null ? GROK_THETA_DEFAULT : thetaValue);
    if (!(theta > 1)) {
      throw new RopeConfigException(modelId, tree.textPath(GROK_THETA), String.valueOf(thetaValue),
          "= " + thetaValue + " must be at least 2 (the model code passes int(rope_theta))");
    }
    if (text.get("rope_scaling") != null && !text.get("rope_scaling").isNull()) {
      warnings.add("model '" + modelId + "': " + tree.textPath("rope_scaling") + " is not read by vLLM's Grok-1 "
          + "scaling rope, which takes its parameters from top-level fields");
    }
    String method = f.optString(text, GROK_ROPE_TYPE, tree.textPath(GROK_ROPE_TYPE));
    long original = require(tree, f.optPositiveInt(text, GROK_ORIGINAL, tree.textPath(GROK_ORIGINAL)),
        GROK_ORIGINAL);
    double factor = number(tree, GROK_FACTOR, null);
    if (!(factor > 0)) {
      throw new RopeConfigException(modelId, tree.textPath(GROK_FACTOR), Double.toString(factor),
          "= " + factor + " must be > 0");
    }
    double attnFactor = number(tree, GROK_ATTN_FACTOR, GROK_ATTN_FACTOR_DEFAULT);
    double mscale = (factor <= 1 ? 1.0 : 0.1 * Math.log(factor) + 1.0) * attnFactor;
    if (mscale != 1.0) {
      warnings.add("model '" + modelId + "': vLLM's Grok-1 cache leaves out YaRN's magnitude scale (" + mscale
          + " from " + tree.textPath(GROK_FACTOR) + " and " + tree.textPath(GROK_ATTN_FACTOR)
          + "): attention factor 1");
    }
    Grok1ScalingRope rope = new Grok1ScalingRope(method, rotaryDim, theta, original, factor,
        number(tree, GROK_EXTRAPOLATION_FACTOR, GROK_EXTRAPOLATION_FACTOR_DEFAULT),
        number(tree, GROK_BETA_FAST, GROK_BETA_FAST_DEFAULT), number(tree, GROK_BETA_SLOW, GROK_BETA_SLOW_DEFAULT));
    return rope.layer(modelId, tree.textPath(GROK_ROPE_TYPE), null, contextLength, precision);
  }

  private static boolean halfDims(ConfigTree tree) {
    JsonNode v = tree.text().get(GROK_HALF_DIMS);
    if (v == null || v.isNull()) {
      return false;
    }
    if (!v.isBoolean()) {
      throw new RopeConfigException(tree.modelId(), tree.textPath(GROK_HALF_DIMS), JsonFields.abbreviate(v),
          "= " + JsonFields.abbreviate(v) + " must be true or false");
    }
    return v.booleanValue();
  }

  private static double number(ConfigTree tree, String key, Double fallback) {
    Double v = tree.fields().optNumber(tree.text(), key, tree.textPath(key));
    if (v == null && fallback == null) {
      throw new RopeConfigException(tree.modelId(), tree.textPath(key), null,
          "is required by vLLM's Grok-1 rope (top-level rope_type is set) but missing");
    }
    return v == null ? fallback : v;
  }

  private static long require(ConfigTree tree, Long v, String key) {
    if (v == null) {
      throw new RopeConfigException(tree.modelId(), tree.textPath(key), null,
          "is required by vLLM's Grok-1 rope but missing");
    }
    return v;
  }
}
