package org.ropeforge.core.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/** {@link TorchScaledRows} against torch 2.13's CPU cos/sin (MKL's) times attention factors. */
class TorchScaledRowsTest {
  /** YaRN's 0.1 ln f + 1 for f = 4, 8, 32, 40; LongRoPE's sqrt(1 + ln f / ln L); below 1; near 2. */
  private static final float[] FACTORS = {1.1386294f, 1.2079442f, 1.3465736f, 1.3688879f, 1.1902381f, 0.70710677f,
      1.9f};

  @Test
  void scaledValuesAreWithinOneUlpOfTorchsWhereTheUnhedgedProductIsNot() throws IOException {
    List<float[]> rows = rows();
    assertTrue(rows.size() >= 10_000, "rows: " + rows.size());
    long values = 0;
    long bitEqual = 0;
    long unhedgedBeyondOneUlp = 0;
    for (float factor : FACTORS) {
      for (float[] r : rows) {
        double angle = r[0];
        for (int k = 0; k < 2; k++) {
          double exact = k == 0 ? StrictMath.cos(angle) : StrictMath.sin(angle);
          float torch = (k == 0 ? r[1] : r[2]) * factor;
          float ours = TorchScaledRows.scaled(exact, factor);
          double ulps = Math.abs((double) ours - torch) / Math.ulp(torch);
          assertTrue(ulps <= 1, () -> "angle " + angle + " factor " + factor + ": torch " + torch + ", ours " + ours);
          values++;
          bitEqual += ours == torch ? 1 : 0;
          unhedgedBeyondOneUlp += Math.abs((double) ((float) exact * factor) - torch) > Math.ulp(torch) ? 1 : 0;
        }
      }
    }
    // What makes this test able to fail: the plain correctly rounded product is 2 ulps off somewhere.
    assertTrue(unhedgedBeyondOneUlp > 0, "no case where the unhedged product is 2 ulps from torch's");
    assertTrue(bitEqual > values * 9 / 10, "bit-equal " + bitEqual + " of " + values);
  }

  @Test
  void outsideTheUncertainBandTheValueIsTheCorrectlyRoundedProduct() {
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 200_000; i++) {
      double exact = random.nextDouble(-1, 1);
      float factor = (float) random.nextDouble(0.5, 2);
      float nearest = (float) exact;
      float other = Math.nextAfter(nearest, exact);
      double fromMidpoint = 0.5 - Math.abs(exact - nearest) / Math.abs((double) other - nearest);
      float scaled = TorchScaledRows.scaled(exact, factor);
      if (fromMidpoint > TorchScaledRows.UNCERTAIN_FROM_MIDPOINT) {
        assertEquals(nearest * factor, scaled, 0f, "exact " + exact + " factor " + factor);
      } else {
        // Within 1 ulp of the product of either candidate, whichever torch's cos/sin returned.
        for (float candidate : new float[] {nearest, other}) {
          float product = candidate * factor;
          assertTrue(Math.abs((double) scaled - product) <= Math.ulp(product),
              "exact " + exact + " factor " + factor + " candidate " + candidate);
        }
      }
    }
  }

  @Test
  void theVectorPassGivesTheScalarValues() {
    SplittableRandom random = new SplittableRandom(13);
    int count = 1 << 16;
    double[] exact = new double[count];
    float[] out = new float[count];
    for (int i = 0; i < count; i++) {
      // Half near a midpoint between two floats, where the hedge applies, and some exact floats.
      float f = (float) random.nextDouble(-1, 1);
      double bracket = Math.abs((double) Math.nextUp(f) - f);
      exact[i] = i % 17 == 0 ? f : i % 2 == 0 ? f + bracket * random.nextDouble(0.3, 0.5) : random.nextDouble(-1, 1);
    }
    for (float factor : FACTORS) {
      TorchScaledRows.scaleAll(exact, out, count, factor);
      for (int i = 0; i < count; i++) {
        assertEquals(TorchScaledRows.scaled(exact[i], factor), out[i], 0f, "value " + exact[i] + " factor " + factor);
      }
    }
  }

  @Test
  void aFactorOfOneLeavesTheCorrectlyRoundedValue() {
    SplittableRandom random = new SplittableRandom(11);
    for (int i = 0; i < 100_000; i++) {
      double exact = random.nextDouble(-1, 1);
      assertEquals((float) exact, TorchScaledRows.scaled(exact, 1f), 0f);
    }
  }

  private static List<float[]> rows() throws IOException {
    InputStream in = TorchScaledRowsTest.class.getResourceAsStream("/torchcpu/cos-sin.txt.gz");
    if (in == null) {
      throw new IOException("missing test resource torchcpu/cos-sin.txt.gz");
    }
    List<float[]> out = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(in),
        StandardCharsets.US_ASCII))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (!line.startsWith("#")) {
          String[] f = line.split(" ");
          out.add(new float[] {hex(f[0]), hex(f[1]), hex(f[2])});
        }
      }
    }
    return out;
  }

  private static float hex(String bits) {
    return Float.intBitsToFloat(Integer.parseUnsignedInt(bits, 16));
  }
}
