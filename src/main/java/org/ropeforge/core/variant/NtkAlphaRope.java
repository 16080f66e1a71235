package org.ropeforge.core.variant;

import java.util.Set;
import org.ropeforge.core.FreqMath;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.RopeVariant;
import org.ropeforge.core.VariantInput;

/**
 * Static NTK-alpha (HunYuan's {@code "type": "dynamic"} with {@code alpha}): the base becomes θ·α^(H/(H−2))
 * with H the full head dimension, as transformers' HunYuan model computes it.
 *
 * <p>Above max_position_embeddings, transformers' dynamic update recomputes the frequencies with the plain
 * dynamic-NTK formula and {@code factor}, dropping alpha; with a {@code factor} present this class does the
 * same, so tables match what the model really uses at that length.
 */
public final class NtkAlphaRope implements RopeVariant {
  @Override
  public String name() {
    return "ntk_alpha";
  }

  @Override
  public Set<String> requiredKeys() {
    return Set.of("rope_type", "alpha");
  }

  @Override
  public Set<String> optionalKeys() {
    return Set.of("rope_theta", "factor");
  }

  @Override
  public LayerRope compute(VariantInput in) {
    double alpha = in.params().requireFactor("alpha");
    int dim = in.ladderDim(true);
    if (in.params().has("factor") && in.contextLength() > in.maxPositionEmbeddings()) {
      double factor = in.params().requireFactor("factor");
      return in.layer(name(), DynamicNtkRope.grownInvFreq(in, in.theta(), factor, dim), 1.0, null);
    }
    int h = in.headDim();
    double base = in.theta() * Math.pow(alpha, (double) h / (h - 2));
    return in.layer(name(), FreqMath.defaultInvFreq(base, dim, in.precision()), 1.0, null);
  }
}
