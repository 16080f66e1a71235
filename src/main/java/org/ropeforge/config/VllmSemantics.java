package org.ropeforge.config;

import java.util.ArrayList;
import java.util.List;
import org.ropeforge.core.ResolvedRope;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Semantics;
import org.ropeforge.core.VariantInput;
import org.ropeforge.core.vllm.VllmRope;

/**
 * vLLM's reading of a config: the config dialects are normalised as for transformers (vLLM reads configs through
 * transformers too), then each layer type is computed by {@link VllmRope}, which follows vLLM's {@code get_rope}.
 */
final class VllmSemantics {
  private VllmSemantics() {}

  static ResolvedRope resolve(TransformersSemantics normalised, long contextLength, RopeResolver.Options options) {
    List<LayerRope> layers = new ArrayList<>();
    List<String> warnings = new ArrayList<>(normalised.warnings());
    for (TransformersSemantics.LayerSpec spec : normalised.layers()) {
      VariantInput input = new VariantInput(spec.params(), spec.layerType(), spec.headDim().dim(),
          spec.headDim().path(), true, normalised.maxPositions(), contextLength, options.precision(),
          normalised.softmaxScaleApplies());
      VllmRope.Result result = VllmRope.compute(input, normalised.softmaxScaleApplies());
      for (String key : result.ignoredKeys()) {
        warnings.add("model '" + normalised.modelId() + "': " + key + " is not read by vLLM's "
            + result.layer().ropeType() + " rope");
      }
      layers.add(result.layer());
    }
    return new ResolvedRope(normalised.modelId(), contextLength, Semantics.VLLM, options.precision(),
        normalised.rules(), warnings, layers);
  }
}
