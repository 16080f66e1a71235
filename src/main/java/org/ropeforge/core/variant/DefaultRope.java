package org.ropeforge.core.variant;

import java.util.Set;
import org.ropeforge.core.FreqMath;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.RopeVariant;
import org.ropeforge.core.VariantInput;

/** Plain RoPE: ω_i = θ^(-2i/d), attention factor 1. */
public final class DefaultRope implements RopeVariant {
  @Override
  public String name() {
    return "default";
  }

  @Override
  public Set<String> requiredKeys() {
    return Set.of("rope_type");
  }

  @Override
  public Set<String> optionalKeys() {
    return Set.of("rope_theta");
  }

  @Override
  public LayerRope compute(VariantInput in) {
    int dim = in.ladderDim(in.partialInDefault());
    return in.layer(name(), FreqMath.defaultInvFreq(in.theta(), dim, in.precision()), 1.0, null);
  }
}
