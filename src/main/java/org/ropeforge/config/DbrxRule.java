package org.ropeforge.config;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** DBRX: DbrxConfig names the model's geometry d_model, n_heads and max_seq_len (its attribute_map). */
final class DbrxRule extends FamilyRule {
  @Override
  Set<String> modelTypes() {
    return Set.of("dbrx");
  }

  @Override
  List<String> reads() {
    return List.of("d_model", "n_heads", "max_seq_len");
  }

  @Override
  Map<String, String> attributeMap() {
    return Map.of("hidden_size", "d_model", "num_attention_heads", "n_heads", "max_position_embeddings",
        "max_seq_len");
  }
}
