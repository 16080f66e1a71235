package org.ropeforge.core;

import java.util.Set;

/**
 * One RoPE variant, registered under its transformers {@code rope_type} name. Each declares the keys it
 * requires and the ones it understands; a missing required key is an error, any other key a warning.
 */
public interface RopeVariant {
  /** Keys every variant understands: they describe the geometry, not the scaling. */
  Set<String> COMMON_KEYS = Set.of("rope_type", "rope_theta", "partial_rotary_factor", "mrope_section",
      "mrope_interleaved");

  String name();

  Set<String> requiredKeys();

  Set<String> optionalKeys();

  /** The layer type's parameters at the input's context length. */
  LayerRope compute(VariantInput input);
}
