package org.ropeforge.core.vllm;

import java.util.Arrays;
import java.util.List;
import org.ropeforge.core.FreqMath;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.RopeConfigException;
import org.ropeforge.core.RopeParams;
import org.ropeforge.core.VariantInput;

/**
 * vLLM's {@code BailingMRotaryEmbedding}, which Bailing's multi-head latent attention builds itself when its
 * rope dictionary has {@code mrope_section}: plain RoPE over the whole rope head (partial_rotary_factor is not
 * applied), max_position_embeddings rows, no attention factor. Only {@code rope_type} default is accepted, and the
 * sections must be [t, h, w] with h = w summing to d/2. At run time the first h + w frequencies alternate between
 * the h and w position rows and the rest read t; that order is not one the tables' axis list can name, so the
 * sections are not carried and the resolution says so in a warning.
 */
public final class BailingMrope {
  static final String TYPE = "bailing_mrope";

  private BailingMrope() {}

  public static VllmRope.Result compute(VariantInput in) {
    RopeParams p = in.params();
    if (!"default".equals(p.ropeType())) {
      throw p.error("rope_type", '"' + p.ropeType() + '"', "is refused: vLLM's Bailing M-RoPE (multi-head latent "
          + "attention) only supports rope_type 'default'");
    }
    int dim = in.rotaryDim(false);
    int[] sections = Sections.read(p, "mrope_section", 3, dim / 2);
    if (sections[1] != sections[2]) {
      throw new RopeConfigException(in.modelId(), p.path("mrope_section"), Arrays.toString(sections),
          "= " + Arrays.toString(sections) + " is refused: vLLM's Bailing M-RoPE requires equal H and W sections");
    }
    VllmRope.fit(in, TYPE, in.maxPositionEmbeddings(), "max_position_embeddings");
    List<String> ignored = p.optDouble("partial_rotary_factor", 1.0) != 1.0
        ? List.of(p.path("partial_rotary_factor")) : List.of();
    List<String> notes = List.of(p.path("mrope_section") + " = " + Arrays.toString(sections) + " is not carried: "
        + "Bailing alternates its first h + w frequencies between the h and w position rows; the table is vLLM's "
        + "cos_sin_cache, whose rows serve text positions as they are");
    double[] invFreq = FreqMath.defaultInvFreq(in.theta(), dim, in.precision());
    LayerRope layer = new LayerRope(in.layerType(), TYPE, dim, invFreq, 1.0, null, null, 1.0, 0.0);
    return new VllmRope.Result(layer, ignored, notes);
  }
}
