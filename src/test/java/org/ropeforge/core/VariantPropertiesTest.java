package org.ropeforge.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.ropeforge.core.variant.RopeVariants;

/**
 * Properties each variant must keep over many seeded random configurations. A failure message names the
 * seed's draw, so it can be replayed.
 */
class VariantPropertiesTest {
  private static final int DRAWS = 300;

  private record Draw(int headDim, double theta, double factor, long maxPos, long original) {
    static Draw next(Random r) {
      int[] heads = {32, 64, 80, 96, 128, 256};
      double[] thetas = {1e4, 5e5, 1e6, 5e6, 1.5e5, 12345.678};
      long original = 1L << (10 + r.nextInt(6));
      double factor = 1 + r.nextInt(63) + r.nextDouble();
      return new Draw(heads[r.nextInt(heads.length)], thetas[r.nextInt(thetas.length)], factor,
          (long) (original * factor), original);
    }
  }

  private static LayerRope compute(Draw d, RopeParams.Builder b, long length, Precision p) {
    RopeParams params = b.put("rope_theta", d.theta, "rope_theta").build();
    RopeVariant v = RopeVariants.forParams(params);
    RopeVariants.validateKeys(v, params);
    return v.compute(new VariantInput(params, null, d.headDim, "head_dim", true, d.maxPos, length, p, true));
  }

  private static RopeParams.Builder params(String type) {
    return RopeParams.builder("prop", "rope_parameters").put("rope_type", type, "rope_parameters.rope_type");
  }

  @Test
  void defaultStartsAtOneAndDecreases() {
    Random r = new Random(1);
    for (int n = 0; n < DRAWS; n++) {
      Draw d = Draw.next(r);
      double[] f = compute(d, params("default"), 4096, Precision.EXACT).invFreq();
      assertEquals(1.0, f[0], d.toString());
      for (int i = 1; i < f.length; i++) {
        assertTrue(f[i] < f[i - 1] && f[i] > 0, d + " at " + i);
      }
      double[] t = compute(d, params("default"), 4096, Precision.TORCH).invFreq();
      for (int i = 0; i < f.length; i++) {
        assertEquals(f[i], t[i], 8 * Math.ulp((float) f[i]), d + " torch vs exact at " + i);
        assertEquals(t[i], (float) t[i], 0.0, "torch values are float32");
      }
    }
  }

  @Test
  void linearDividesEveryFrequency() {
    Random r = new Random(2);
    for (int n = 0; n < DRAWS; n++) {
      Draw d = Draw.next(r);
      double[] plain = compute(d, params("default"), 4096, Precision.EXACT).invFreq();
      double[] scaled = compute(d, params("linear").put("factor", d.factor, "f"), 4096, Precision.EXACT).invFreq();
      for (int i = 0; i < plain.length; i++) {
        assertEquals(plain[i] / d.factor, scaled[i], 0.0, d + " at " + i);
      }
    }
  }

  @Test
  void dynamicIsPlainUpToMaxPositionsAndSlowsDownBeyond() {
    Random r = new Random(3);
    for (int n = 0; n < DRAWS; n++) {
      Draw d = Draw.next(r);
      double[] plain = compute(d, params("default"), d.maxPos, Precision.EXACT).invFreq();
      RopeParams.Builder dyn = params("dynamic").put("factor", d.factor, "f");
      assertArrayEquals(plain, compute(d, dyn, d.maxPos, Precision.EXACT).invFreq(), d.toString());
      double[] longer = compute(d, dyn, d.maxPos * 2, Precision.EXACT).invFreq();
      double[] longest = compute(d, dyn, d.maxPos * 4, Precision.EXACT).invFreq();
      assertEquals(1.0, longer[0]);
      for (int i = 1; i < plain.length; i++) {
        assertTrue(longer[i] < plain[i] && longest[i] < longer[i], d + " at " + i);
      }
    }
  }

  @Test
  void yarnBlendsBetweenInterpolationAndExtrapolation() {
    Random r = new Random(4);
    for (int n = 0; n < DRAWS; n++) {
      Draw d = Draw.next(r);
      double[] plain = compute(d, params("default"), 4096, Precision.EXACT).invFreq();
      LayerRope y = compute(d, params("yarn").put("factor", d.factor, "f")
          .put("original_max_position_embeddings", (double) d.original, "o"), 4096, Precision.EXACT);
      double[] f = y.invFreq();
      for (int i = 0; i < f.length; i++) {
        double lo = plain[i] / d.factor;
        assertTrue(f[i] >= lo * (1 - 1e-15) && f[i] <= plain[i] * (1 + 1e-15), d + " at " + i);
      }
      assertEquals(0.1 * Math.log(d.factor) + 1, y.attentionFactor(), 1e-15, d.toString());
      assertEquals(null, y.softmaxScale(), "no mscale_all_dim, no softmax term");
    }
  }

  @Test
  void yarnWithEqualMscalesHasUnitAttentionAndASoftmaxTerm() {
    Draw d = new Draw(64, 1e4, 40, 163840, 4096);
    LayerRope y = compute(d, params("yarn").put("factor", 40.0, "f").put("mscale", 1.0, "m")
        .put("mscale_all_dim", 1.0, "a").put("original_max_position_embeddings", 4096.0, "o"), 2048,
        Precision.EXACT);
    assertEquals(1.0, y.attentionFactor());
    double g = 0.1 * Math.log(40) + 1;
    assertEquals(g * g, y.softmaxScale(), 1e-15);
    assertEquals(1.8738542, y.softmaxScale(), 5e-8, "DeepSeek-V3's published multiplier");
  }

  @Test
  void longropeSwitchesListsAtTheOriginalLength() {
    Random r = new Random(5);
    for (int n = 0; n < DRAWS; n++) {
      Draw d = Draw.next(r);
      int half = d.headDim / 2;
      double[] shortF = new double[half];
      double[] longF = new double[half];
      for (int i = 0; i < half; i++) {
        shortF[i] = 1 + r.nextDouble();
        longF[i] = 1 + 60 * r.nextDouble();
      }
      RopeParams.Builder b = params("longrope").put("short_factor", shortF, "s").put("long_factor", longF, "l")
          .put("original_max_position_embeddings", (double) d.original, "o");
      double[] atOriginal = compute(d, b, d.original, Precision.EXACT).invFreq();
      double[] beyond = compute(d, b, d.original + 1, Precision.EXACT).invFreq();
      double[] plain = compute(d, params("default"), 4096, Precision.EXACT).invFreq();
      for (int i = 0; i < half; i++) {
        assertEquals(plain[i] / shortF[i], atOriginal[i], 4 * Math.ulp(atOriginal[i]), d + " short at " + i);
        assertEquals(plain[i] / longF[i], beyond[i], 4 * Math.ulp(beyond[i]), d + " long at " + i);
      }
      double a1 = compute(d, b, d.original, Precision.EXACT).attentionFactor();
      double a2 = compute(d, b, d.original + 1, Precision.EXACT).attentionFactor();
      assertEquals(a1, a2, "transformers applies one attention factor to both lists");
    }
  }

  @Test
  void llama3StaysBetweenScaledAndPlainEvenWithAnEmptyBand() {
    Random r = new Random(6);
    for (int n = 0; n < DRAWS; n++) {
      Draw d = Draw.next(r);
      double low = 1 + r.nextInt(3);
      double high = r.nextBoolean() ? low : low + 1 + r.nextInt(4);
      double[] plain = compute(d, params("default"), 4096, Precision.EXACT).invFreq();
      for (Precision p : Precision.values()) {
        double[] f = compute(d, params("llama3").put("factor", d.factor, "f").put("low_freq_factor", low, "lo")
            .put("high_freq_factor", high, "hi").put("original_max_position_embeddings", (double) d.original, "o"),
            4096, p).invFreq();
        for (int i = 0; i < f.length; i++) {
          assertTrue(Double.isFinite(f[i]), d + " low=high=" + low + " NaN at " + i);
          assertTrue(f[i] >= plain[i] / d.factor * (1 - 1e-6) && f[i] <= plain[i] * (1 + 1e-6),
              d + " " + p + " at " + i);
        }
      }
    }
  }

  @Test
  void proportionalRotatesOnlyTheFirstPairs() {
    Draw d = new Draw(512, 1e6, 1, 131072, 131072);
    LayerRope p = compute(d, params("proportional").put("partial_rotary_factor", 0.25, "p"), 4096,
        Precision.EXACT);
    assertEquals(512, p.rotaryDim());
    for (int j = 0; j < 256; j++) {
      double expected = j < 64 ? Math.pow(1e6, -2.0 * j / 512) : 0.0;
      assertEquals(expected, p.invFreq(j), Math.ulp(expected) * 4, "pair " + j);
    }
  }

  @Test
  void ntkAlphaOfOneIsPlainAndGrowsTheBaseOtherwise() {
    Draw d = new Draw(128, 1e4, 1, 32768, 32768);
    double[] plain = compute(d, params("default"), 4096, Precision.EXACT).invFreq();
    assertArrayEquals(plain, compute(d, params("ntk_alpha").put("alpha", 1.0, "a"), 4096, Precision.EXACT)
        .invFreq());
    double[] alpha = compute(d, params("ntk_alpha").put("alpha", 1000.0, "a"), 4096, Precision.EXACT).invFreq();
    double grownBase = 1e4 * Math.pow(1000, 128.0 / 126);
    assertEquals(1.1159e7, grownBase, 0.0001e7, "anchors.md: alpha 1000 gives about 1.1159e7");
    assertEquals(Math.pow(grownBase, -2.0 / 128), alpha[1], 1e-15);
  }

  @Test
  void equalParametersAreEqualKeysWhateverTheModel() {
    Draw d = new Draw(128, 5e5, 8, 131072, 8192);
    LayerRope a = compute(d, params("linear").put("factor", 8.0, "f"), 4096, Precision.EXACT);
    LayerRope b = compute(d, params("linear").put("factor", 8.0, "g"), 4096, Precision.EXACT);
    LayerRope c = compute(d, params("linear").put("factor", 4.0, "g"), 4096, Precision.EXACT);
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertNotEquals(a, c);
  }
}
