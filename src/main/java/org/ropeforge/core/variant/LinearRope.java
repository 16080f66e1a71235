package org.ropeforge.core.variant;

import java.util.Set;
import org.ropeforge.core.FreqMath;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.RopeVariant;
import org.ropeforge.core.VariantInput;

/** Position interpolation: the plain frequencies divided by {@code factor}. */
public final class LinearRope implements RopeVariant {
  @Override
  public String name() {
    return "linear";
  }

  @Override
  public Set<String> requiredKeys() {
    return Set.of("rope_type", "factor");
  }

  @Override
  public Set<String> optionalKeys() {
    return Set.of("rope_theta");
  }

  @Override
  public LayerRope compute(VariantInput in) {
    double factor = in.params().requireFactor("factor");
    int dim = in.ladderDim(true);
    double[] plain = FreqMath.defaultInvFreq(in.theta(), dim, in.precision());
    return in.layer(name(), FreqMath.divide(plain, factor, in.precision()), 1.0, null);
  }
}
