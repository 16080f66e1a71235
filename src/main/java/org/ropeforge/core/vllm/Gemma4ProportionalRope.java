package org.ropeforge.core.vllm;

import java.util.List;
import org.ropeforge.core.FreqMath;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.RopeParams;
import org.ropeforge.core.VariantInput;

/**
 * vLLM's {@code proportional} ({@code Gemma4RotaryEmbedding}, Gemma 4's global layers): the table spans the whole
 * head H; the first int(H·p)/2 pairs (p the partial_rotary_factor) get ω_j = θ^(−2j/H), the rest frequency 0
 * (cos 1, sin 0). A static cache of max_position_embeddings rows, no attention factor; {@code factor} is not read.
 */
final class Gemma4ProportionalRope {
  static final String TYPE = "proportional";

  private Gemma4ProportionalRope() {}

  static LayerRope compute(VariantInput in, double theta, List<String> ignored) {
    RopeParams p = in.params();
    int head = in.rotaryDim(false);
    double partial = p.optDouble("partial_rotary_factor", 1.0);
    if (!(partial > 0 && partial <= 1)) {
      throw p.error("partial_rotary_factor", Double.toString(partial), "must be in (0, 1]");
    }
    VllmRope.fit(in, TYPE, in.maxPositionEmbeddings(), "max_position_embeddings");
    VllmRope.ignoreIfPresent(p, ignored, "factor");
    int angles = (int) (head * partial) / 2;
    double[] rotated = FreqMath.reciprocal(FreqMath.basePowers(theta, angles, head, in.precision()), in.precision());
    double[] invFreq = new double[head / 2];
    System.arraycopy(rotated, 0, invFreq, 0, angles);
    return in.layer(TYPE, invFreq, 1.0, null);
  }
}
