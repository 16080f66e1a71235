package org.ropeforge.core.variant;

import java.util.Set;
import org.ropeforge.core.FreqMath;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.RopeParams;
import org.ropeforge.core.RopeVariant;
import org.ropeforge.core.VariantInput;

/**
 * LongRoPE (Phi-3 "su"): ω_i = 1/(ext_i·θ^(2i/d)) with ext the long factors when the context length exceeds
 * original_max_position_embeddings, else the short ones. The attention factor is the explicit
 * {@code attention_factor}, else sqrt(1 + ln f / ln original) (1 when f ≤ 1), the same for both lists;
 * PhiMoE's {@code short_mscale}/{@code long_mscale}, when given, replace it per list.
 */
public final class LongRope implements RopeVariant {
  @Override
  public String name() {
    return "longrope";
  }

  @Override
  public Set<String> requiredKeys() {
    return Set.of("rope_type", "short_factor", "long_factor", "original_max_position_embeddings");
  }

  @Override
  public Set<String> optionalKeys() {
    return Set.of("rope_theta", "attention_factor", "factor", "short_mscale", "long_mscale");
  }

  @Override
  public LayerRope compute(VariantInput in) {
    RopeParams p = in.params();
    int dim = in.ladderDim(true);
    long original = p.requirePositiveInteger("original_max_position_embeddings");
    boolean useLong = in.contextLength() > original;
    double[] shortFactor = p.requireFactorList("short_factor", FreqMath.frequencies(dim), "rotary_dim/2");
    double[] longFactor = p.requireFactorList("long_factor", FreqMath.frequencies(dim), "rotary_dim/2");
    double[] ext = useLong ? longFactor : shortFactor;

    double factor = p.has("factor")
        ? p.requireFactor("factor")
        : (double) in.maxPositionEmbeddings() / original;
    double attentionFactor;
    String listMscale = useLong ? "long_mscale" : "short_mscale";
    if (p.has(listMscale)) {
      attentionFactor = p.requireFactor(listMscale);
    } else if (p.has("attention_factor")) {
      attentionFactor = p.requireDouble("attention_factor");
      if (!(attentionFactor >= 0 && attentionFactor <= RopeParams.MAX_FACTOR)) {
        throw p.error("attention_factor", Double.toString(attentionFactor),
            "must be a number in [0, " + RopeParams.MAX_FACTOR + "]");
      }
    } else if (factor <= 1.0) {
      attentionFactor = 1.0;
    } else {
      if (original < 2) {
        throw p.error("original_max_position_embeddings", Long.toString(original),
            "must be at least 2 (its logarithm divides the attention factor)");
      }
      attentionFactor = Math.sqrt(1 + Math.log(factor) / Math.log(original));
    }

    double[] powers = FreqMath.basePowers(in.theta(), FreqMath.frequencies(dim), dim, in.precision());
    double[] invFreq = new double[FreqMath.frequencies(dim)];
    for (int i = 0; i < invFreq.length; i++) {
      invFreq[i] = in.precision() == Precision.TORCH
          ? 1.0f / ((float) ext[i] * (float) powers[i])
          : 1.0 / (ext[i] * powers[i]);
    }
    return in.layer(name(), invFreq, attentionFactor, null);
  }
}
