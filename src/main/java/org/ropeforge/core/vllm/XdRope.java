package org.ropeforge.core.vllm;

import java.util.Arrays;
import java.util.List;
import org.ropeforge.core.FreqMath;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.RopeParams;
import org.ropeforge.core.VariantInput;

/**
 * vLLM's {@code xdrope} ({@code XDRotaryEmbedding}, HunYuan's multimodal XD-RoPE): the cache is the dynamic-NTK-alpha
 * one, base θ·α^(d/(d−2)), max_position_embeddings rows, no attention factor. At run time vLLM indexes it with four
 * position rows (P, W, H, T), the frequencies of section k reading row k; text positions are equal on all four, so
 * the table is the cache itself. The section-to-axis map is not carried (the tables' axis codes are t, h, w only),
 * which the resolution reports as a warning.
 */
final class XdRope {
  static final String TYPE = "xdrope";

  private XdRope() {}

  static LayerRope compute(VariantInput in, int dim, double theta, List<String> notes) {
    RopeParams p = in.params();
    double alpha = p.requireFactor("alpha");
    int[] sections = Sections.read(p, "xdrope_section", 0, dim / 2);
    VllmRope.fit(in, TYPE, in.maxPositionEmbeddings(), "max_position_embeddings");
    double base = theta * Math.pow(alpha, (double) dim / (dim - 2));
    notes.add(p.path("xdrope_section") + " = " + Arrays.toString(sections) + " is not carried: vLLM indexes the "
        + "table with one position row per section (P, W, H, T); the table is vLLM's cos_sin_cache, whose rows "
        + "serve text positions as they are");
    return in.layer(TYPE, FreqMath.defaultInvFreq(base, dim, in.precision()), 1.0, null);
  }
}
