package org.ropeforge.config;

import java.util.List;
import java.util.Set;

/**
 * MiniMax-M3-VL: its config carries a rotary_dim, but its text rotary embedding rotates over the whole head_dim
 * and does not read it (the model's default config has rotary_dim 64, head_dim 128, and 64 frequencies).
 */
final class MiniMaxM3VlRule extends FamilyRule {
  @Override
  Set<String> modelTypes() {
    return Set.of("minimax_m3_vl");
  }

  @Override
  List<String> reads() {
    return List.of("head_dim");
  }

  @Override
  boolean readsRotaryDim() {
    return false;
  }
}
