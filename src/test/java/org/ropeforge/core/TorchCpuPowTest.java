package org.ropeforge.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * {@link TorchCpuPow} against torch 2.13's CPU pow, vector lanes and scalar remainder (see
 * torchcpu/generate_torch_cpu_math.py).
 */
class TorchCpuPowTest {

  @Test
  void everyVectorLaneIsTorchsBitForBit() throws IOException {
    int notCorrectlyRounded = assertTorchPairs("pow-pairs.txt.gz", TorchCpuPow::vectorPowf);
    // What makes this test able to fail: a correctly rounded pow would differ from torch on these.
    assertTrue(notCorrectlyRounded > 80, "torch's pow differs from the correctly rounded one on only "
        + notCorrectlyRounded);
  }

  @Test
  void everyScalarRemainderElementIsTorchsBitForBit() throws IOException {
    int notCorrectlyRounded = assertTorchPairs("pow-remainder.txt.gz", TorchCpuPow::scalarPowf);
    // What makes this test able to fail: the C library's powf is not correctly rounded on a few of these.
    assertTrue(notCorrectlyRounded > 0, "no pair tells the C library's powf from a correctly rounded one");
  }

  /**
   * Asserts {@code ours} gives torch's bits on every pair of the file, and returns on how many pairs the
   * correctly rounded power differs from torch's.
   */
  private static int assertTorchPairs(String file, FloatBinaryOperator ours) throws IOException {
    List<String[]> pairs = lines(file);
    assertTrue(pairs.size() >= 10_000, file + ": " + pairs.size() + " pairs");
    int notCorrectlyRounded = 0;
    for (String[] p : pairs) {
      float x = hex(p[0]);
      float y = hex(p[1]);
      float torch = hex(p[2]);
      float result = ours.apply(x, y);
      assertEquals(Float.floatToRawIntBits(torch), Float.floatToRawIntBits(result),
          () -> file + ": " + x + " ** " + y + ": torch " + torch + ", ours " + result);
      notCorrectlyRounded += (float) Math.pow(x, y) != torch ? 1 : 0;
    }
    return notCorrectlyRounded;
  }

  /** A float function of two floats, unboxed. */
  private interface FloatBinaryOperator {
    float apply(float x, float y);
  }

  @Test
  void frequencyLaddersAreTorchsIncludingTheScalarRemainder() throws IOException {
    List<String[]> ladders = lines("pow-ladders.txt.gz");
    assertTrue(ladders.size() >= 100, "ladders: " + ladders.size());
    int differFromCorrectlyRounded = 0;
    for (String[] l : ladders) {
      double base = Double.parseDouble(l[0]);
      int dim = Integer.parseInt(l[1]);
      int count = FreqMath.frequencies(dim);
      assertEquals(count, l.length - 2, "ladder length for dim " + dim);
      double[] ours = FreqMath.basePowers(base, count, dim, Precision.TORCH);
      for (int i = 0; i < count; i++) {
        float torch = hex(l[i + 2]);
        int at = i;
        assertEquals(torch, (float) ours[i], 0f, () -> base + "^(" + 2 * at + "/" + dim + ") of " + count);
        if ((float) Math.pow((float) base, FreqMath.ladderExponentF(i, dim)) != torch) {
          differFromCorrectlyRounded++;
        }
      }
    }
    assertTrue(differFromCorrectlyRounded > 0, "no ladder entry tells torch's pow from a correctly rounded one");
  }

  @Test
  void theRemainderBeyondWholeVectorStepsTakesTheScalarPath() {
    float[] exponents = new float[TorchCpuPow.VECTOR_LANES + 8];
    for (int i = 0; i < exponents.length; i++) {
      exponents[i] = FreqMath.ladderExponentF(i, 2 * exponents.length);
    }
    float[] powers = TorchCpuPow.pow(1e6f, exponents);
    for (int i = 0; i < exponents.length; i++) {
      float expected = i < TorchCpuPow.VECTOR_LANES
          ? TorchCpuPow.vectorPowf(1e6f, exponents[i]) : TorchCpuPow.scalarPowf(1e6f, exponents[i]);
      assertEquals(expected, powers[i], 0f, "lane " + i);
    }
  }

  @Test
  void specialArgumentsTakeTheCorrectlyRoundedPath() {
    assertEquals(1f, TorchCpuPow.scalarPowf(12345f, 0f), 0f);
    assertEquals(Float.POSITIVE_INFINITY, TorchCpuPow.scalarPowf(1e30f, 2.5f), 0f);
    assertEquals(0f, TorchCpuPow.scalarPowf(1e-30f, 6f), 0f);
    assertEquals(1f, TorchCpuPow.vectorPowf(12345f, 0f), 0f);
    assertEquals(1f, TorchCpuPow.vectorPowf(1f, 0.37f), 0f);
    assertEquals(0f, TorchCpuPow.vectorPowf(0f, 0.5f), 0f);
    assertTrue(Float.isNaN(TorchCpuPow.vectorPowf(-2f, 0.5f)));
    assertEquals(Float.POSITIVE_INFINITY, TorchCpuPow.vectorPowf(Float.POSITIVE_INFINITY, 0.5f), 0f);
  }

  static List<String[]> lines(String name) throws IOException {
    InputStream in = TorchCpuPowTest.class.getResourceAsStream("/torchcpu/" + name);
    if (in == null) {
      throw new IOException("missing test resource torchcpu/" + name);
    }
    List<String[]> out = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(in),
        StandardCharsets.US_ASCII))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (!line.startsWith("#")) {
          out.add(line.split(" "));
        }
      }
    }
    return out;
  }

  static float hex(String bits) {
    return Float.intBitsToFloat(Integer.parseUnsignedInt(bits, 16));
  }
}
