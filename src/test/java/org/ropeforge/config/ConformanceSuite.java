package org.ropeforge.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.ResolvedRope;
import org.ropeforge.core.RopeConfigException;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.core.table.RopeTable;
import org.ropeforge.core.table.TableOptions;
import org.ropeforge.core.table.TablePart;

/**
 * Resolves every model type and form of the conformance references (src/test/resources/conformance, generated
 * from transformers by generate_references.py) and compares with what the model's own rotary module computed.
 *
 * <p>A model type in a form is matched when, for every layer type the module has and no other: in torch
 * precision every inv_freq, attention factor, cos and sin is within 1 float32 ulp of transformers'; in exact
 * precision every inv_freq is within 1e-14 relative of the mpmath value where the generator knows the formula
 * (else within 8 float32 ulps of torch's, torch's own rounding), and the attention factor within 1e-12
 * relative. It is refused when resolution throws a {@link RopeConfigException}. Anything else is silently
 * different.
 */
final class ConformanceSuite {
  /**
   * The transformers versions whose references are checked, newest first; the newest is the one whose semantics
   * the rules follow ({@link ModelTypeConformance#SEMANTICS_VERSION}).
   */
  static final List<String> VERSIONS = List.of("5.18.0", "5.17.0");
  static final List<String> FORMS = List.of("v5", "v4", "linear", "dynamic", "yarn", "yarn_mscale", "longrope",
      "llama3_31", "llama3_bands", "llama3_wide");
  static final double TORCH_ULPS = 1;
  static final double EXACT_RELATIVE = 1e-14;
  static final double EXACT_WITHOUT_FORMULA_ULPS = 8;
  static final double EXACT_ATTENTION_RELATIVE = 1e-12;

  private static final ObjectMapper MAPPER = new ObjectMapper();
  /** The rotary module whose inv_freq buffer is stored permuted: see {@link #moduleOrder}. */
  static final String ERNIE_VL_ROTARY_CLASS = "Ernie4_5_VLMoeTextRotaryEmbedding";
  /** Its sections (h, w, t) when the config has none. */
  static final int[] ERNIE_VL_DEFAULT_SECTIONS = {22, 22, 20};

  /**
   * MATCHED: within the tolerances (torch precision within 1 float32 ulp everywhere, cos/sin rows scaled by an
   * attention factor included). REFUSED: a RopeConfigException. DIFFERENT: anything else, a silent difference
   * unless its version's known-differences.txt lists it, so that a new one fails and a fixed one must be removed.
   */
  enum Outcome { MATCHED, REFUSED, DIFFERENT }

  /** One model type in one form. {@code detail}: the refusal's message, or the first difference. */
  record Verdict(String form, String modelType, Outcome outcome, String detail, double worstTorchUlps,
      double worstExactRelative) {}

  /** Bit-equality counts in torch precision, per kind of value. */
  static final class Tally {
    final Map<String, long[]> equalOfTotal = new LinkedHashMap<>();
    double worstTorchUlps;
    double worstExactRelative;
    double worstExactUlpsWithoutFormula;
    double worstCosSinUlps;
    /** cos and sin from our own inv_freq, where a 1-ulp inv_freq difference may show much amplified. */
    Tally endToEnd;

    void count(String kind, boolean equal) {
      long[] c = equalOfTotal.computeIfAbsent(kind, k -> new long[2]);
      c[0] += equal ? 1 : 0;
      c[1]++;
    }
  }

  static Tally newTally() {
    Tally t = new Tally();
    t.endToEnd = new Tally();
    return t;
  }

  private ConformanceSuite() {}

  private static final Map<String, Map<String, JsonNode>> SUPPLEMENTS = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * The mpmath inv_freq that exact_supplement.py added where the references kept none (llama3 smoothing bands
   * that torch's float32 evaluation loses to cancellation), by "form model_type layer_type".
   */
  static Map<String, JsonNode> exactSupplement(String version) {
    return SUPPLEMENTS.computeIfAbsent(version, v -> {
      String path = "/conformance/transformers-" + v + "/exact-supplement.jsonl";
      Map<String, JsonNode> out = new LinkedHashMap<>();
      try (InputStream raw = ConformanceSuite.class.getResourceAsStream(path)) {
        if (raw == null) {
          return out;
        }
        BufferedReader reader = new BufferedReader(new InputStreamReader(raw, StandardCharsets.UTF_8));
        for (String line; (line = reader.readLine()) != null; ) {
          if (!line.isBlank()) {
            JsonNode entry = MAPPER.readTree(line);
            out.put(entry.get("form").textValue() + " " + entry.get("model_type").textValue() + " "
                + entry.get("layer_type").asText(null), entry.get("inv_freq_exact"));
          }
        }
      } catch (IOException e) {
        throw new IllegalStateException("unreadable " + path, e);
      }
      return out;
    });
  }

  static List<JsonNode> records(String version, String form) throws IOException {
    String path = "/conformance/transformers-" + version + "/" + form + ".jsonl.gz";
    List<JsonNode> out = new ArrayList<>();
    try (InputStream raw = ConformanceSuite.class.getResourceAsStream(path)) {
      if (raw == null) {
        throw new IllegalStateException("missing test resource " + path);
      }
      BufferedReader reader = new BufferedReader(new InputStreamReader(new GZIPInputStream(raw),
          StandardCharsets.UTF_8));
      for (String line; (line = reader.readLine()) != null; ) {
        if (!line.isBlank()) {
          out.add(MAPPER.readTree(line));
        }
      }
    }
    return out;
  }

  static Verdict check(JsonNode record, Tally tally) {
    String form = record.get("form").textValue();
    String modelType = record.get("model_type").textValue();
    long length = record.get("context_length").longValue();
    byte[] config = record.get("config").textValue().getBytes(StandardCharsets.UTF_8);
    ResolvedRope torch;
    ResolvedRope exact;
    try {
      ModelConfig parsed = RopeResolver.parse(modelType, config);
      torch = RopeResolver.resolve(parsed, length, RopeResolver.Options.DEFAULT.withPrecision(Precision.TORCH));
      exact = RopeResolver.resolve(parsed, length, RopeResolver.Options.DEFAULT);
    } catch (RopeConfigException e) {
      return new Verdict(form, modelType, Outcome.REFUSED, e.getMessage(), 0, 0);
    }
    List<String> differences = new ArrayList<>();
    JsonNode refLayers = record.get("layers");
    if (torch.layers().size() != refLayers.size()) {
      differences.add(torch.layers().size() + " layer types " + labels(torch) + ", the module has "
          + refLayers.size());
    }
    double worstTorch = 0;
    String worstTorchAt = "";
    double worstExact = 0;
    double worstRows = 0;
    long[] positions = longs(record.get("positions"));
    for (JsonNode ref : refLayers) {
      String layerType = ref.get("layer_type").isNull() ? null : ref.get("layer_type").textValue();
      LayerRope t = find(torch, layerType, refLayers.size());
      LayerRope x = find(exact, layerType, refLayers.size());
      String where = layerType == null ? "" : layerType + ": ";
      if (t == null || x == null) {
        differences.add("no layer type " + layerType + " in " + labels(torch));
        continue;
      }
      float[] invFreq = moduleOrder(record, floats(ref.get("inv_freq")));
      if (t.rotaryDim() / 2 != invFreq.length) {
        differences.add(where + t.rotaryDim() / 2 + " frequencies, the module has " + invFreq.length);
        continue;
      }
      double attention = ref.get("attention_factor").doubleValue();
      for (int j = 0; j < invFreq.length; j++) {
        double units = ulps(t.invFreq(j), invFreq[j]);
        tally.count("inv_freq", units == 0);
        if (units > worstTorch) {
          worstTorch = units;
          worstTorchAt = " (inv_freq[" + j + "] of " + invFreq.length + " " + t.invFreq(j) + ", the module's "
              + invFreq[j] + ")";
        }
      }
      double attentionUlps = ulps(t.attentionFactor(), (float) attention);
      if (attentionUlps > worstTorch) {
        worstTorchAt = " (attention factor " + t.attentionFactor() + ", the module's " + attention + ")";
      }
      tally.count("attention_factor", attentionUlps == 0);
      // The module keeps its factor as a Python float, and torch multiplies the float32 cos/sin by its float32
      // rounding: this is the equality that reaches the tables.
      tally.count("attention_factor as the float32 torch multiplies by",
          (float) t.attentionFactor() == (float) attention);
      worstTorch = Math.max(worstTorch, attentionUlps);
      if (Math.abs(x.attentionFactor() - attention) > EXACT_ATTENTION_RELATIVE * Math.abs(attention)) {
        differences.add(where + "exact attention factor " + x.attentionFactor() + ", the module's " + attention);
      }
      JsonNode exactRef = ref.get("inv_freq_exact");
      if (exactRef.isNull()) {
        exactRef = exactSupplement(record.get("transformers").textValue())
            .getOrDefault(form + " " + modelType + " " + layerType, exactRef);
      }
      if (exactRef.isNull()) {
        for (int j = 0; j < invFreq.length; j++) {
          double units = ulps(x.invFreq(j), invFreq[j]);
          tally.worstExactUlpsWithoutFormula = Math.max(tally.worstExactUlpsWithoutFormula, units);
          if (units > EXACT_WITHOUT_FORMULA_ULPS) {
            differences.add(where + "exact inv_freq[" + j + "] " + x.invFreq(j) + " is " + units
                + " float32 ulps from torch's " + invFreq[j]);
            break;
          }
        }
      } else {
        double[] mp = doubles(exactRef);
        for (int j = 0; j < mp.length; j++) {
          double rel = mp[j] == 0 ? Math.abs(x.invFreq(j)) : Math.abs(x.invFreq(j) - mp[j]) / Math.abs(mp[j]);
          worstExact = Math.max(worstExact, rel);
        }
      }
      if (!ref.get("cos").isNull()) {
        String[] worstAt = new String[1];
        // Checked twice: on the module's own inv_freq (the table pipeline alone) and end to end on ours, which
        // TorchCpuPow makes bit-equal to the module's; either beyond 1 ulp is a difference.
        double[] moduleInvFreq = new double[invFreq.length];
        for (int j = 0; j < invFreq.length; j++) {
          moduleInvFreq[j] = invFreq[j];
        }
        LayerRope onModuleFrequencies = new LayerRope(t.layerType(), t.ropeType(), t.rotaryDim(), moduleInvFreq,
            t.attentionFactor(), t.softmaxScale(), t.mropeSection(), t.positionScale(), t.positionOffset());
        double pipelineRows = compareRows(onModuleFrequencies, positions, floats(ref.get("cos")),
            floats(ref.get("sin")), tally, worstAt);
        String[] worstEndToEndAt = new String[1];
        double endToEndRows = compareRows(t, positions, floats(ref.get("cos")), floats(ref.get("sin")),
            tally.endToEnd, worstEndToEndAt);
        double rows = Math.max(pipelineRows, endToEndRows);
        if (endToEndRows > pipelineRows) {
          worstAt[0] = "end to end " + worstEndToEndAt[0];
        }
        if (rows > TORCH_ULPS) {
          differences.add(where + worstAt[0]);
          worstRows = Math.max(worstRows, rows);
        }
      }
    }
    tally.worstTorchUlps = Math.max(tally.worstTorchUlps, Math.max(worstTorch, worstRows));
    tally.worstExactRelative = Math.max(tally.worstExactRelative, worstExact);
    if (worstTorch > TORCH_ULPS) {
      differences.add("torch precision inv_freq or attention factor off by " + worstTorch + " float32 ulps"
          + worstTorchAt);
    }
    if (worstExact > EXACT_RELATIVE) {
      differences.add("exact inv_freq off by " + worstExact + " relative to mpmath");
    }
    double worst = Math.max(worstTorch, worstRows);
    if (!differences.isEmpty()) {
      return new Verdict(form, modelType, Outcome.DIFFERENT, String.join("; ", differences), worst, worstExact);
    }
    return new Verdict(form, modelType, Outcome.MATCHED, "", worst, worstExact);
  }

  /**
   * The module's inv_freq in ascending-exponent order. ERNIE 4.5 VL's rotary embedding stores its buffer permuted
   * (its compute_default_rope_parameters: with sections (h, w, t) and hw = h + w, buffer[:hw] = cat(f[:hw][0::2],
   * f[:hw][1::2]), buffer[hw:] = f[hw:]) and its forward undoes that when it recomposes cos/sin, so the recorded
   * rows are already in ascending order; only the buffer is un-permuted here, by that documented rule, with the
   * sections of the record's config (the module's default [22, 22, 20] when it has none).
   */
  static float[] moduleOrder(JsonNode record, float[] buffer) {
    if (!ERNIE_VL_ROTARY_CLASS.equals(record.get("rotary_class").textValue())) {
      return buffer;
    }
    int hw = ERNIE_VL_DEFAULT_SECTIONS[0] + ERNIE_VL_DEFAULT_SECTIONS[1];
    try {
      JsonNode root = MAPPER.readTree(record.get("config").textValue());
      JsonNode text = root.has("text_config") ? root.get("text_config") : root;
      for (String dict : List.of("rope_parameters", "rope_scaling")) {
        JsonNode sections = text.path(dict).path("mrope_section");
        if (sections.isArray()) {
          hw = sections.get(0).intValue() + sections.get(1).intValue();
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("unreadable reference config of " + record.get("model_type"), e);
    }
    float[] out = buffer.clone();
    int evens = (hw + 1) / 2;
    for (int k = 0; k < hw; k++) {
      out[k] = k % 2 == 0 ? buffer[k / 2] : buffer[evens + k / 2];
    }
    return out;
  }

  /** Worst ulps of our torch-precision cos and sin rows at the sampled positions against the module's. */
  private static double compareRows(LayerRope layer, long[] positions, float[] cos, float[] sin, Tally tally,
      String[] worstAt) {
    RopeTable table = RopeTable.of(layer, new TableOptions(Layout.HALF, Dtype.F32, Precision.TORCH));
    int half = layer.rotaryDim() / 2;
    double worst = 0;
    for (int p = 0; p < positions.length; p++) {
      for (TablePart part : List.of(TablePart.COS, TablePart.SIN)) {
        float[] want = part == TablePart.COS ? cos : sin;
        ByteBuffer row = table.rows(part, positions[p], positions[p] + 1).order(ByteOrder.LITTLE_ENDIAN);
        for (int j = 0; j < half; j++) {
          float ours = row.getFloat(j * 4);
          double units = ulps(ours, want[p * half + j]);
          tally.count(part.tensorName(), units == 0);
          if (units > worst) {
            worst = units;
            worstAt[0] = part.tensorName() + "[" + positions[p] + "][" + j + "] " + ours + ", the module's "
                + want[p * half + j] + " (" + units + " ulps)";
          }
        }
      }
    }
    tally.worstCosSinUlps = Math.max(tally.worstCosSinUlps, worst);
    return worst;
  }

  /** |ours - want| in float32 ulps of want; a zero or subnormal want counts one ulp as the smallest normal's. */
  static double ulps(double ours, float want) {
    double diff = Math.abs(ours - want);
    return diff == 0 ? 0 : diff / Math.max(Math.ulp(want), Math.ulp(Float.MIN_NORMAL));
  }

  private static LayerRope find(ResolvedRope resolved, String layerType, int referenceLayers) {
    if (layerType == null) {
      return resolved.layers().size() == 1 && referenceLayers == 1 ? resolved.layers().get(0) : null;
    }
    for (LayerRope l : resolved.layers()) {
      if (layerType.equals(l.layerType())) {
        return l;
      }
    }
    return null;
  }

  private static List<String> labels(ResolvedRope resolved) {
    List<String> out = new ArrayList<>();
    resolved.layers().forEach(l -> out.add(String.valueOf(l.layerType())));
    return out;
  }

  private static long[] longs(JsonNode array) {
    long[] out = new long[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).longValue();
    }
    return out;
  }

  static float[] floats(JsonNode base64) {
    ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(base64.textValue())).order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[b.remaining() / 4];
    b.asFloatBuffer().get(out);
    return out;
  }

  static double[] doubles(JsonNode base64) {
    ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(base64.textValue())).order(ByteOrder.LITTLE_ENDIAN);
    double[] out = new double[b.remaining() / 8];
    b.asDoubleBuffer().get(out);
    return out;
  }
}
