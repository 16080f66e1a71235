package org.ropeforge.config;

import java.util.ArrayList;
import java.util.List;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.ResolvedRope;
import org.ropeforge.core.Semantics;
import org.ropeforge.core.VariantInput;
import org.ropeforge.core.vllm.BailingMrope;
import org.ropeforge.core.vllm.VllmRope;

/**
 * vLLM's reading of a config: the config dialects are normalised as for transformers (vLLM reads configs through
 * transformers too), then each layer type is computed by {@link VllmRope}, which follows vLLM's {@code get_rope},
 * or by the class the model's own code builds instead ({@link VllmModelRopes}: Grok-1's head of
 * hidden_size // num_attention_heads and its scaling rope; Bailing V3's whole rope head and M-RoPE; dual chunk
 * attention, refused).
 */
final class VllmSemantics {
  /**
   * Bailing V3 (and its VL text model): its multi-head latent attention drops partial_rotary_factor and rotates the
   * whole qk_rope_head_dim, and builds Bailing's M-RoPE when the dictionary has mrope sections.
   */
  static final String BAILING_V3_FAMILY = "bailing_moe_v3";

  private VllmSemantics() {}

  static ResolvedRope resolve(ConfigTree tree, TransformersSemantics normalised, long contextLength,
      RopeResolver.Options options) {
    VllmModelRopes.refuseDualChunkAttention(tree);
    List<LayerRope> layers = new ArrayList<>();
    List<String> warnings = new ArrayList<>(normalised.warnings());
    boolean grok1 = VllmModelRopes.isGrok1(tree);
    if (grok1 && VllmModelRopes.hasGrok1Scaling(tree)) {
      layers.add(VllmModelRopes.grok1Scaling(tree, contextLength, options.precision(), warnings));
      return new ResolvedRope(normalised.modelId(), contextLength, Semantics.VLLM, options.precision(),
          normalised.rules(), warnings, layers);
    }
    TransformersSemantics.HeadDim grok1Head = grok1 ? VllmModelRopes.grok1HeadDim(tree) : null;
    boolean bailing = tree.family().equals(BAILING_V3_FAMILY);
    for (TransformersSemantics.LayerSpec spec : normalised.layers()) {
      TransformersSemantics.HeadDim head = grok1Head != null ? grok1Head : spec.headDim();
      VariantInput input = new VariantInput(spec.params(), spec.layerType(), head.dim(), head.path(), true, normalised.maxPositions(), contextLength, options.precision(),
          normalised.softmaxScaleApplies());
      VllmRope.Result result = bailing && spec.params().has("mrope_section")
          ? BailingMrope.compute(input)
          : VllmRope.compute(input, normalised.softmaxScaleApplies(), !bailing);
      for (String key : result.ignoredKeys()) {
        warnings.add("model '" + normalised.modelId() + "': " + key + " is not read by vLLM's "
            + result.layer().ropeType() + " rope");
      }
      for (String note : result.notes()) {
        warnings.add("model '" + normalised.modelId() + "': " + note);
      }
      layers.add(spec.ordered(result.layer()));
    }
    return new ResolvedRope(normalised.modelId(), contextLength, Semantics.VLLM, options.precision(),
        normalised.rules(), warnings, layers);
  }
}
