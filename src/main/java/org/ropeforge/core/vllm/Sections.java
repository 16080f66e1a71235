package org.ropeforge.core.vllm;

import org.ropeforge.core.RopeConfigException;
import org.ropeforge.core.RopeParams;

/** Multimodal section lists as vLLM's classes check them: whole numbers >= 0 that sum to rotary_dim/2. */
final class Sections {
  private Sections() {}

  /**
   * @param count the number of sections vLLM expects, or 0 for any number
   * @param half rotary_dim/2, the sum the sections must reach
   */
  static int[] read(RopeParams p, String key, int count, int half) {
    Object raw = p.raw(key);
    if (raw == null) {
      throw p.missing(key);
    }
    if (!(raw instanceof double[] list)) {
      throw p.error(key, RopeParams.describe(raw), "must be a list of whole numbers");
    }
    String value = RopeParams.describe(raw);
    if (count > 0 && list.length != count) {
      throw new RopeConfigException(p.modelId(), p.path(key), value,
          "= " + value + " must have " + count + " sections, it has " + list.length);
    }
    int[] out = new int[list.length];
    long total = 0;
    for (int i = 0; i < list.length; i++) {
      if (!(list[i] >= 0) || list[i] != Math.rint(list[i]) || list[i] > half) {
        throw new RopeConfigException(p.modelId(), p.path(key) + "[" + i + "]", Double.toString(list[i]),
            "= " + list[i] + " must be a whole number between 0 and rotary_dim/2 = " + half);
      }
      out[i] = (int) list[i];
      total += out[i];
    }
    if (total != half) {
      throw new RopeConfigException(p.modelId(), p.path(key), value,
          "= " + value + " must sum to rotary_dim/2 = " + half + ", it sums to " + total);
    }
    return out;
  }
}
