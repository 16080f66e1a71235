package org.ropeforge.core.variant;

import java.util.Set;
import org.ropeforge.core.FreqMath;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.RopeVariant;
import org.ropeforge.core.VariantInput;

/**
 * Proportional RoPE (Gemma 4 global layers): k = int(p·H/2) pairs rotate with ω_j = θ^(−2j/H) — the
 * denominator is the full head H, unlike partial rotary — and the remaining H/2 − k pairs get frequency 0.
 * All are divided by {@code factor} (default 1). The table spans the whole head.
 */
public final class ProportionalRope implements RopeVariant {
  @Override
  public String name() {
    return "proportional";
  }

  @Override
  public Set<String> requiredKeys() {
    return Set.of("rope_type", "rope_theta");
  }

  @Override
  public Set<String> optionalKeys() {
    return Set.of("factor");
  }

  @Override
  public LayerRope compute(VariantInput in) {
    int head = in.rotaryDim(false);
    double partial = in.params().optDouble("partial_rotary_factor", 1.0);
    if (!(partial > 0 && partial <= 1)) {
      throw in.params().error("partial_rotary_factor", Double.toString(partial), "must be in (0, 1]");
    }
    double factor = in.params().has("factor") ? in.params().requireFactor("factor") : 1.0;
    int rotated = (int) Math.floor(partial * head / 2);
    double[] powers = FreqMath.basePowers(in.theta(), rotated, head, in.precision());
    double[] invFreq = new double[head / 2];
    for (int j = 0; j < rotated; j++) {
      invFreq[j] = in.precision() == Precision.TORCH
          ? (1.0f / (float) powers[j]) / (float) factor
          : 1.0 / powers[j] / factor;
    }
    return in.layer(name(), invFreq, 1.0, null);
  }
}
