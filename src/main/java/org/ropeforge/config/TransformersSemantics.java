package org.ropeforge.config;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.LayerRope.MropeOrder;
import org.ropeforge.core.ResolvedRope;
import org.ropeforge.core.RopeConfigException;
import org.ropeforge.core.RopeParams;
import org.ropeforge.core.RopeVariant;
import org.ropeforge.core.Semantics;
import org.ropeforge.core.VariantInput;

/**
 * A config normalised the way transformers 5.x standardises RoPE parameters, by {@link TransformersNormalizer}:
 * one parameter dictionary and variant per layer type, with the rules that fired and the warnings. It does not
 * depend on the context length, so a config normalises once and resolves at every length from here.
 *
 * @param modelId the model's id
 * @param layers one entry per layer type with RoPE, in the config's order
 * @param maxPositions max_position_embeddings (or its alias, or the family default)
 * @param partialInDefault whether this family's plain RoPE honours partial_rotary_factor
 * @param softmaxScaleApplies whether YaRN's mscale_all_dim term reaches the softmax scale (multi-head latent
 *     attention)
 * @param rules the normalisation rules that fired, in order
 * @param warnings what the normalisation ignored, in order
 */
record TransformersSemantics(String modelId, List<LayerSpec> layers, long maxPositions, boolean partialInDefault,
    boolean softmaxScaleApplies, List<String> rules, List<String> warnings) {

  /**
   * One layer type's normalised parameters, the variant they select, the head dimension it rotates, and its
   * family's mrope order (null: the generic reading of the parameters).
   */
  record LayerSpec(String layerType, RopeParams params, RopeVariant variant, HeadDim headDim, MropeOrder mropeOrder) {
    LayerSpec(String layerType, RopeParams params, RopeVariant variant, HeadDim headDim) {
      this(layerType, params, variant, headDim, null);
    }

    /** The computed layer in this family's mrope order. */
    LayerRope ordered(LayerRope layer) {
      return mropeOrder == null || layer.mropeSection() == null ? layer : layer.withMropeOrder(mropeOrder);
    }
  }

  /** A head dimension and the config field it came from. */
  record HeadDim(int dim, String path) {}

  TransformersSemantics {
    layers = List.copyOf(layers);
    rules = List.copyOf(rules);
    warnings = List.copyOf(warnings);
  }

  /**
   * Refuses ExLlamaV2's alpha knob. Called before the config is normalised, so that a misplaced option is
   * reported ahead of anything wrong in the config.
   */
  static void refuseExllamaV2Options(String modelId, RopeResolver.Options options) {
    if (options.alpha() != 1.0) {
      throw new RopeConfigException(modelId, "alpha", Double.toString(options.alpha()),
          "= " + options.alpha() + " is ExLlamaV2's scale_alpha_value: use it with exllamav2 semantics "
              + "(a HunYuan config's own alpha is read from the config)");
    }
  }

  /**
   * max_position_embeddings, plus every layer's original_max_position_embeddings when a scaled variant makes it
   * a length of its own.
   */
  List<Long> defaultContextLengths() {
    TreeSet<Long> lengths = new TreeSet<>();
    lengths.add(maxPositions);
    for (LayerSpec layer : layers) {
      if (!"default".equals(layer.params().ropeType()) && layer.params().has("original_max_position_embeddings")) {
        lengths.add(layer.params().requirePositiveInteger("original_max_position_embeddings"));
      }
    }
    return List.copyOf(lengths);
  }

  ResolvedRope resolve(long contextLength, RopeResolver.Options options) {
    List<LayerRope> resolved = new ArrayList<>();
    for (LayerSpec spec : layers) {
      VariantInput input = new VariantInput(spec.params(), spec.layerType(), spec.headDim().dim(),
          spec.headDim().path(), partialInDefault, maxPositions, contextLength, options.precision(),
          softmaxScaleApplies);
      resolved.add(spec.ordered(spec.variant().compute(input)));
    }
    return new ResolvedRope(modelId, contextLength, Semantics.TRANSFORMERS, options.precision(), rules, warnings,
        resolved);
  }
}
