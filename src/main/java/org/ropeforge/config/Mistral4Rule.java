package org.ropeforge.config;

import java.util.List;
import java.util.Set;

/**
 * Mistral 4: multi-head latent attention whose rotary embedding rotates all of qk_rope_head_dim. Its config
 * carries a partial_rotary_factor (0.5 by default, qk_rope_head_dim over qk_head_dim) that describes the rope part
 * of the head, which qk_rope_head_dim already is; the rotary embedding does not apply it again (the default config
 * has qk_rope_head_dim 64 and 32 frequencies).
 */
final class Mistral4Rule extends FamilyRule {
  @Override
  Set<String> modelTypes() {
    return Set.of("mistral4");
  }

  @Override
  List<String> reads() {
    return List.of("qk_rope_head_dim");
  }

  @Override
  boolean readsPartialRotaryFactor() {
    return false;
  }
}
