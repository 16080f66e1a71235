package org.ropeforge.core.exl2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.RopeConfigException;

/** The builder's defaults and refusals: programming errors here, config errors from {@link ExllamaV2Rope}. */
class Exl2SettingsTest {
  private static Exl2Settings.Builder required() {
    return Exl2Settings.builder("m").base(10_000.0).headDim(128).maxSeqLen(8192).originalMaxSeqLen(4096);
  }

  @Test
  void unnamedValuesAreThoseOfAConfigWithoutRopeScaling() {
    Exl2Settings s = required().build();
    assertEquals("m", s.modelId());
    assertNull(s.layerType());
    assertNull(s.altRopeMethod());
    assertEquals(10_000.0, s.base());
    assertEquals(128, s.headDim());
    assertEquals(1.0, s.partialRotaryFactor());
    assertEquals(8192, s.maxSeqLen());
    assertEquals(4096, s.originalMaxSeqLen());
    assertEquals(1.0, s.scalePosEmb());
    assertEquals(1.0, s.scaleAlphaValue());
    assertNull(s.shortFactor());
    assertNull(s.longFactor());
    assertEquals(1.0, s.yarnFactor());
    assertEquals(4096, s.yarnOriginalMax());
    assertEquals(1.0, s.l3Factor());
    assertEquals(1.0, s.l3LowFreqFactor());
    assertEquals(1.0, s.l3HighFreqFactor());
    assertEquals(4096, s.l3OriginalMax());
    assertEquals(0, s.posIdIndex());
    assertFalse(s.ropeFreqHalf());
    assertNull(s.mropeSection());
  }

  @Test
  void everyNamedValueReachesItsComponent() {
    double[] shortFactor = {1, 2};
    double[] longFactor = {3, 4};
    int[] section = {16, 24, 24};
    Exl2Settings s = required().layerType("full_attention").altRopeMethod("su").partialRotaryFactor(0.5)
        .scalePosEmb(2.0).scaleAlphaValue(3.0).shortFactor(shortFactor).longFactor(longFactor).yarnFactor(4.0)
        .yarnOriginalMax(2048).l3Factor(8.0).l3LowFreqFactor(1.5).l3HighFreqFactor(4.5).l3OriginalMax(1024)
        .posIdIndex(1).ropeFreqHalf(true).mropeSection(section).build();
    assertEquals("full_attention", s.layerType());
    assertEquals("su", s.altRopeMethod());
    assertEquals(0.5, s.partialRotaryFactor());
    assertEquals(2.0, s.scalePosEmb());
    assertEquals(3.0, s.scaleAlphaValue());
    assertArrayEquals(shortFactor, s.shortFactor());
    assertArrayEquals(longFactor, s.longFactor());
    assertEquals(4.0, s.yarnFactor());
    assertEquals(2048, s.yarnOriginalMax());
    assertEquals(8.0, s.l3Factor());
    assertEquals(1.5, s.l3LowFreqFactor());
    assertEquals(4.5, s.l3HighFreqFactor());
    assertEquals(1024, s.l3OriginalMax());
    assertEquals(1, s.posIdIndex());
    assertEquals(true, s.ropeFreqHalf());
    assertArrayEquals(section, s.mropeSection());
  }

  @Test
  void eachRequiredValueMustBeSet() {
    assertEquals("Exl2Settings of model 'm': base is not set", assertThrows(IllegalStateException.class,
        () -> Exl2Settings.builder("m").headDim(128).maxSeqLen(8192).originalMaxSeqLen(4096).build()).getMessage());
    assertEquals("Exl2Settings of model 'm': headDim is not set", assertThrows(IllegalStateException.class,
        () -> Exl2Settings.builder("m").base(1e4).maxSeqLen(8192).originalMaxSeqLen(4096).build()).getMessage());
    assertEquals("Exl2Settings of model 'm': maxSeqLen is not set", assertThrows(IllegalStateException.class,
        () -> Exl2Settings.builder("m").base(1e4).headDim(128).originalMaxSeqLen(4096).build()).getMessage());
    assertEquals("Exl2Settings of model 'm': originalMaxSeqLen is not set", assertThrows(
        IllegalStateException.class,
        () -> Exl2Settings.builder("m").base(1e4).headDim(128).maxSeqLen(8192).build()).getMessage());
  }

  @Test
  void modelIdIsRequired() {
    assertEquals("modelId", assertThrows(NullPointerException.class, () -> Exl2Settings.builder(null))
        .getMessage());
  }

  @Test
  void unknownMethodIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> required().altRopeMethod("longrope").build());
    assertEquals("model 'm': altRopeMethod \"longrope\" is not one of su, llama3, yarn (or null for plain RoPE)",
        e.getMessage());
  }

  @Test
  void lengthsAndDimensionsOutOfContractAreRefused() {
    assertEquals("model 'm': headDim = 0 must be at least 1", assertThrows(IllegalArgumentException.class,
        () -> required().headDim(0).build()).getMessage());
    assertEquals("model 'm': maxSeqLen = 0 must be at least 1", assertThrows(IllegalArgumentException.class,
        () -> required().maxSeqLen(0).build()).getMessage());
    assertEquals("model 'm': originalMaxSeqLen = -1 must be at least 1", assertThrows(
        IllegalArgumentException.class, () -> required().originalMaxSeqLen(-1).build()).getMessage());
    assertEquals("model 'm': posIdIndex = -1 must be at least 0", assertThrows(IllegalArgumentException.class,
        () -> required().posIdIndex(-1).build()).getMessage());
  }

  @Test
  void whatAConfigCanGetWrongIsStillRefusedByTheRopeWithItsField() {
    RopeConfigException odd = assertThrows(RopeConfigException.class,
        () -> ExllamaV2Rope.compute(required().headDim(127).build(), Precision.EXACT));
    assertEquals("head_dim", odd.field());
    assertEquals("model 'm': head_dim gives rotary_dim 127, which must be even and at least 2", odd.getMessage());
    RopeConfigException noFactors = assertThrows(RopeConfigException.class,
        () -> ExllamaV2Rope.compute(required().altRopeMethod("su").build(), Precision.EXACT));
    assertEquals("rope_scaling.long_factor", noFactors.field());
  }

  @Test
  void builtSettingsCompute() {
    LayerRope yarn = ExllamaV2Rope.compute(required().altRopeMethod("yarn").yarnFactor(4.0).build(),
        Precision.EXACT);
    assertEquals("yarn", yarn.ropeType());
    assertEquals(64, yarn.invFreq().length);
    assertEquals(0.1 * Math.log(4.0) + 1.0, yarn.attentionFactor());
  }
}
