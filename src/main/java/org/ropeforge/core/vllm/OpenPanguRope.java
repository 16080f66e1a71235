package org.ropeforge.core.vllm;

import java.util.Arrays;
import java.util.List;
import org.ropeforge.core.FreqMath;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.RopeParams;
import org.ropeforge.core.VariantInput;

/**
 * vLLM's {@code openpangu} ({@code MRotaryEmbeddingInterleaved}): plain RoPE's cache of max_position_embeddings rows,
 * no attention factor, read at run time with openPangu's own interleaving of the 2 or 3 mrope sections (a rarest-first
 * order, the last frequency forced to t), which is not Qwen3-VL's and not one the tables' axis list can name: the
 * sections are not carried, and the resolution says so in a warning. vLLM refuses the type without
 * {@code mrope_section} or with {@code mrope_interleaved} false, and so does this class.
 */
final class OpenPanguRope {
  static final String TYPE = "openpangu";

  private OpenPanguRope() {}

  static LayerRope compute(VariantInput in, int dim, double theta, List<String> notes) {
    RopeParams p = in.params();
    if (!p.has("mrope_section") || !p.optBoolean("mrope_interleaved", false)) {
      String key = p.has("mrope_section") ? "mrope_interleaved" : "mrope_section";
      throw p.error(key, RopeParams.describe(p.raw(key)), "is refused: vLLM's openpangu rope needs mrope_section "
          + "and mrope_interleaved = true (\"Pangu mrope lacks necessary parameters\")");
    }
    int count = sectionCount(p);
    int[] sections = Sections.read(p, "mrope_section", count, dim / 2);
    VllmRope.fit(in, TYPE, in.maxPositionEmbeddings(), "max_position_embeddings");
    notes.add(p.path("mrope_section") + " = " + Arrays.toString(sections) + " is not carried: openPangu interleaves "
        + "its sections in an order of its own; the table is vLLM's cos_sin_cache, whose rows serve text positions "
        + "as they are");
    double[] invFreq = FreqMath.defaultInvFreq(theta, dim, in.precision());
    return new LayerRope(in.layerType(), TYPE, dim, invFreq, 1.0, null, null, 1.0, 0.0);
  }

  private static int sectionCount(RopeParams p) {
    Object raw = p.raw("mrope_section");
    int n = raw instanceof double[] list ? list.length : 0;
    if (n != 2 && n != 3) {
      throw p.error("mrope_section", RopeParams.describe(raw), "must have 2 or 3 sections (vLLM's openpangu rope)");
    }
    return n;
  }
}
