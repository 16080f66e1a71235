package org.ropeforge.core.variant;

import java.util.Set;
import org.ropeforge.core.FreqMath;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.RopeParams;
import org.ropeforge.core.RopeVariant;
import org.ropeforge.core.VariantInput;

/** Llama 3.1 scaling: plain frequencies split into kept, divided and smoothed bands by wavelength. */
public final class Llama3Rope implements RopeVariant {
  @Override
  public String name() {
    return "llama3";
  }

  @Override
  public Set<String> requiredKeys() {
    return Set.of("rope_type", "factor", "original_max_position_embeddings", "low_freq_factor",
        "high_freq_factor", "rope_theta");
  }

  @Override
  public Set<String> optionalKeys() {
    return Set.of();
  }

  @Override
  public LayerRope compute(VariantInput in) {
    RopeParams p = in.params();
    double factor = p.requireFactor("factor");
    double low = p.requireFactor("low_freq_factor");
    double high = p.requireFactor("high_freq_factor");
    double original = p.requirePositiveInteger("original_max_position_embeddings");
    int dim = in.ladderDim(true);
    double[] plain = FreqMath.defaultInvFreq(in.theta(), dim, in.precision());
    return in.layer(name(), FreqMath.llama3Bands(plain, factor, low, high, original, in.precision()), 1.0,
        null);
  }
}
