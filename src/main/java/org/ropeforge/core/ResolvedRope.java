package org.ropeforge.core;

import java.util.List;
import java.util.Objects;

/**
 * A model's RoPE parameters at one context length, for every layer type, with the normalisation rules that
 * were applied to its config to get there.
 */
public record ResolvedRope(
    String modelId,
    long contextLength,
    Semantics semantics,
    Precision precision,
    List<String> rulesFired,
    List<String> warnings,
    List<LayerRope> layers) {

  public ResolvedRope {
    Objects.requireNonNull(modelId, "modelId");
    rulesFired = List.copyOf(rulesFired);
    warnings = List.copyOf(warnings);
    layers = List.copyOf(layers);
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("a resolved model needs at least one layer type");
    }
  }

  /** True when the model has several layer types, each with its own table. */
  public boolean perLayerType() {
    return layers.size() > 1 || layers.get(0).layerType() != null;
  }
}
