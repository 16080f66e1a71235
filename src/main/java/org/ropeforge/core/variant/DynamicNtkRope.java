package org.ropeforge.core.variant;

import java.util.Set;
import org.ropeforge.core.FreqMath;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.RopeVariant;
import org.ropeforge.core.VariantInput;

/**
 * Dynamic NTK scaling as transformers runs it: plain RoPE up to max_position_embeddings M; for a longer
 * context L the base grows to θ·(f·L/M − (f − 1))^(d/(d−2)), one base for the whole table of length L.
 */
public final class DynamicNtkRope implements RopeVariant {
  @Override
  public String name() {
    return "dynamic";
  }

  @Override
  public Set<String> requiredKeys() {
    return Set.of("rope_type", "factor");
  }

  @Override
  public Set<String> optionalKeys() {
    return Set.of("rope_theta", "original_max_position_embeddings");
  }

  @Override
  public LayerRope compute(VariantInput in) {
    double factor = in.params().requireFactor("factor");
    int dim = in.ladderDim(true);
    return in.layer(name(), grownInvFreq(in, in.theta(), factor, dim), 1.0, null);
  }

  /** The frequencies at the input's context length, with the base grown when L exceeds M. */
  static double[] grownInvFreq(VariantInput in, double theta, double factor, int dim) {
    long m = in.maxPositionEmbeddings();
    long length = in.contextLength();
    if (length <= m) {
      return FreqMath.defaultInvFreq(theta, dim, in.precision());
    }
    double exponent = (double) dim / (dim - 2);
    double base;
    if (in.precision() == Precision.TORCH) {
      // transformers takes L from max(position_ids) + 1, a tensor: the growth term is float32 arithmetic,
      // raised to a Python-float exponent (not rounded to float32), then times theta in float32.
      float growth = (float) factor * (float) length / (float) m - (float) (factor - 1);
      base = (float) theta * (float) Math.pow(growth, exponent);
    } else {
      base = theta * Math.pow(factor * length / m - (factor - 1), exponent);
    }
    return FreqMath.defaultInvFreq(base, dim, in.precision());
  }
}
