package org.ropeforge.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.ropeforge.config.ConfigBytes;
import org.ropeforge.config.ModelConfig;
import org.ropeforge.config.RopeResolver;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.ResolvedRope;
import org.ropeforge.core.Semantics;

/**
 * Each GGUF file made by the gguf package from a golden-set config (src/test/resources/gguf/make_gguf.py)
 * resolves to the parameters of that config.json: the same rotary dim, default context lengths and attention
 * factor, and inv_freq within the precision's bound, under every semantics that reads the normalised config.
 */
public class GgufConfigTest {
  public static final Path GGUF = Path.of("src/test/resources/gguf");
  /** The folder that sources.json names configs under. */
  public static final Path CONFIGS = Path.of("src/test/resources");
  private static final ObjectMapper JSON = new ObjectMapper();
  /** float32 keeps 24 significant bits: a value stored as float32 is within this relative distance of it. */
  static final double FLOAT32_STORAGE = 0x1p-24;
  static final int LLAMA3_CONVERTER_ROUNDINGS = 10;

  static Stream<Arguments> models() throws IOException {
    JsonNode sources = JSON.readTree(GGUF.resolve("sources.json").toFile());
    List<Arguments> cases = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = sources.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      for (Semantics semantics : List.of(Semantics.TRANSFORMERS, Semantics.VLLM)) {
        for (Precision precision : Precision.values()) {
          cases.add(Arguments.of(e.getKey(), e.getValue().textValue(), semantics, precision));
        }
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {2} {3}")
  @MethodSource("models")
  void resolvesAsItsConfigJson(String gguf, String configFile, Semantics semantics, Precision precision)
      throws IOException {
    byte[] json = Files.readAllBytes(CONFIGS.resolve(configFile));
    ModelConfig fromJson = RopeResolver.parse(gguf, json);
    ModelConfig fromGguf = RopeResolver.parse(gguf, GgufConfig.read(gguf, GGUF.resolve(gguf + ".gguf")));
    // A GGUF keeps no original context length for llama3 (only the rope_freqs it gives), so that length is
    // not one of its own; every length it does name is the config's.
    assertTrue(fromJson.defaultContextLengths().containsAll(fromGguf.defaultContextLengths()),
        "default context lengths " + fromGguf.defaultContextLengths() + " of " + fromJson.defaultContextLengths());
    if (!fromJson.defaultContextLengths().equals(fromGguf.defaultContextLengths())) {
      assertEquals("llama3", JSON.readTree(json).path("rope_scaling").path("rope_type").asText(),
          "only llama3's original length is lost in GGUF");
    }
    double bound = invFreqBound(JSON.readTree(json), precision);
    TreeSet<Long> lengths = new TreeSet<>(fromJson.defaultContextLengths());
    lengths.add(2048L);
    double worst = 0;
    for (long length : lengths) {
      RopeResolver.Options options = RopeResolver.Options.DEFAULT.withSemantics(semantics).withPrecision(precision);
      ResolvedRope expected = RopeResolver.resolve(fromJson, length, options);
      ResolvedRope actual = RopeResolver.resolve(fromGguf, length, options);
      assertEquals(expected.layers().size(), actual.layers().size(), "layer count");
      for (int l = 0; l < expected.layers().size(); l++) {
        LayerRope e = expected.layers().get(l);
        LayerRope a = actual.layers().get(l);
        assertEquals(e.rotaryDim(), a.rotaryDim(), "rotary dim at " + length);
        assertEquals(e.attentionFactor(), a.attentionFactor(), 1e-12 * e.attentionFactor(),
            "attention factor at " + length);
        assertEquals(e.positionScale(), a.positionScale(), "position scale at " + length);
        for (int i = 0; i < e.invFreq().length; i++) {
          double relative = Math.abs(a.invFreq()[i] - e.invFreq()[i]) / e.invFreq()[i];
          worst = Math.max(worst, relative);
          double allowed = precision == Precision.TORCH ? bound * Math.ulp((float) e.invFreq()[i]) / e.invFreq()[i]
              : bound;
          assertTrue(relative <= allowed, gguf + " inv_freq[" + i + "] at " + length + ": " + a.invFreq()[i]
              + " vs " + e.invFreq()[i] + " (relative " + relative + " > " + allowed + ")");
        }
      }
    }
    System.out.printf("gguf-vs-config %s %s %s worst inv_freq relative difference %.3g%n", gguf, semantics,
        precision, worst);
  }

  /**
   * Exact precision: 1e-14 relative when every number GGUF stores is the config's own (float32 holds it
   * exactly); else the float32 rounding of the stored factors (for factors the converter computes in float32,
   * once per rounding of that computation). Torch precision: in fp32 ulps of the value.
   */
  public static double invFreqBound(JsonNode config, Precision precision) {
    JsonNode scaling = config.path("rope_scaling");
    String type = scaling.path("rope_type").asText(scaling.path("type").asText(""));
    boolean computedInFloat32 = type.equals("llama3");
    boolean stored = !computedInFloat32 && float32Exact(scaling.path("short_factor"))
        && float32Exact(scaling.path("long_factor"));
    if (precision == Precision.TORCH) {
      return stored ? 1 : 2;
    }
    // The converter computes llama3's factors in float32 arithmetic: ten roundings from the frequency (pow and
    // division) through the wavelength and the smooth ramp to the reciprocal, each at most 2^-24 relative to
    // first order. A factor stored from a config value is rounded once.
    return stored ? 1e-14 : (computedInFloat32 ? LLAMA3_CONVERTER_ROUNDINGS : 1) * FLOAT32_STORAGE + 1e-14;
  }

  private static boolean float32Exact(JsonNode list) {
    for (JsonNode v : list) {
      if ((double) (float) v.doubleValue() != v.doubleValue()) {
        return false;
      }
    }
    return true;
  }
}
