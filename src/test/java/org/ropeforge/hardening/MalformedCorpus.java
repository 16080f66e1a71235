package org.ropeforge.hardening;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Generates malformed configs from real ones by rule: every mutation is applied to every base config it fits,
 * so the corpus grows with the bases and the mutation list rather than by hand. Each case says which field
 * its single error must name (a prefix of the field path), or "" when the whole document is broken.
 */
public final class MalformedCorpus {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** One malformed config. */
  public record Case(String name, byte[] bytes, String expectedField) {}

  /** Good configs the mutations start from, one per variant family. */
  public static final List<String> BASES = List.of(
      "meta-llama__Llama-3.1-8B-Instruct.json",        // llama3
      "Qwen__Qwen2.5-7B-Instruct-yarn.json",           // yarn
      "microsoft__Phi-3-mini-128k-instruct.json",      // longrope
      "mistralai__Mistral-7B-Instruct-v0.3.json",      // default
      "deepseek-ai__DeepSeek-V3.json",                 // yarn with mscale
      "google__gemma-3-27b-it.json");                  // nested, per layer type

  private MalformedCorpus() {}

  public static byte[] base(String name) {
    try (InputStream in = MalformedCorpus.class.getResourceAsStream("/golden/configs/" + name)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static List<Case> generate() {
    List<Case> out = new ArrayList<>();
    for (String baseName : BASES) {
      byte[] bytes = base(baseName);
      String stem = baseName.replace(".json", "");
      ObjectNode root;
      try {
        root = (ObjectNode) MAPPER.readTree(bytes);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      boolean nested = root.has("text_config");
      ObjectNode text = nested ? (ObjectNode) root.get("text_config") : root;
      String prefix = nested ? "text_config." : "";
      ObjectNode scaling = text.get("rope_scaling") instanceof ObjectNode o ? o : null;

      // Broken documents: truncation at several depths, and invalid UTF-8 inside a string.
      for (double cut : new double[] {0.1, 0.5, 0.9}) {
        out.add(new Case(stem + "/truncated-" + cut, Arrays.copyOf(bytes, (int) (bytes.length * cut)), ""));
      }
      int lastBrace = new String(bytes, StandardCharsets.ISO_8859_1).lastIndexOf('}');
      out.add(new Case(stem + "/truncated-before-last-brace", Arrays.copyOf(bytes, lastBrace), ""));
      out.add(new Case(stem + "/invalid-utf8", withInvalidUtf8(bytes), ""));
      out.add(new Case(stem + "/not-an-object", "[1, 2, 3]".getBytes(StandardCharsets.UTF_8), ""));
      out.add(new Case(stem + "/empty", new byte[0], ""));

      // Geometry fields: wrong types, non-finite, zero, negative and absurd values.
      for (String field : List.of("hidden_size", "num_attention_heads")) {
        if (!text.has(field) || text.has("head_dim") || text.has("qk_rope_head_dim")) {
          continue;
        }
        for (JsonNode bad : badNumbers()) {
          out.add(mutated(stem, root, text, field, bad, prefix + field));
        }
      }
      if (!text.has("qk_rope_head_dim")) {
        for (JsonNode bad : List.of(NODES.numberNode(0), NODES.numberNode(-64), NODES.numberNode(63),
            NODES.numberNode(1 << 20), NODES.textNode("128"), NODES.numberNode(Double.NaN))) {
          out.add(mutated(stem, root, text, "head_dim", bad, prefix + "head_dim"));
        }
      }
      String thetaField = scaling == null && text.has("rope_parameters") ? "rope_parameters" : prefix + "rope_theta";
      if (!nested) {
        for (JsonNode bad : badNumbers()) {
          out.add(mutated(stem, root, text, "rope_theta", bad, thetaField));
        }
        out.add(mutated(stem, root, text, "rope_theta", NODES.numberNode(1.0), thetaField));
        for (JsonNode bad : List.of(NODES.numberNode(0), NODES.numberNode(-1), NODES.numberNode(1L << 40),
            NODES.textNode("4096"), NODES.numberNode(4096.5))) {
          out.add(mutated(stem, root, text, "max_position_embeddings", bad, prefix + "max_position_embeddings"));
        }
      }
      // The RoPE dictionary itself.
      for (JsonNode bad : List.of(NODES.numberNode(8), NODES.textNode("yarn"), NODES.arrayNode().add(1),
          NODES.booleanNode(true))) {
        out.add(mutated(stem, root, text, "rope_scaling", bad, prefix + "rope_scaling"));
      }
      if (scaling != null) {
        String sp = prefix + "rope_scaling";
        String type = scaling.has("rope_type") ? "rope_type" : "type";
        for (String unknown : List.of("wavy", "ntk-by-parts", "", "YARN", "fope")) {
          out.add(inScaling(stem, root, scaling, type, NODES.textNode(unknown), sp + "." + type));
        }
        out.add(inScaling(stem, root, scaling, type, NODES.numberNode(3), sp + "." + type));
        String other = type.equals("type") ? "rope_type" : "type";
        out.add(inScaling(stem, root, scaling, other, NODES.textNode("dynamic"), sp + ".type"));
        for (String key : List.of("factor", "original_max_position_embeddings", "low_freq_factor",
            "high_freq_factor", "beta_fast", "mscale", "attention_factor")) {
          if (!scaling.has(key)) {
            continue;
          }
          for (JsonNode bad : badNumbers()) {
            // transformers reads beta_fast and mscale with `or`: 0 means "unset", which is valid.
            boolean zeroMeansUnset = key.equals("beta_fast") || key.equals("mscale");
            if (!(zeroMeansUnset && bad.isNumber() && bad.asDouble() == 0)) {
              out.add(inScaling(stem, root, scaling, key, bad, sp + "." + key));
            }
          }
        }
        for (String key : List.of("factor", "low_freq_factor", "high_freq_factor", "short_factor", "long_factor")) {
          if (scaling.has(key) && !(key.equals("factor") && type(scaling).equals("yarn"))) {
            ObjectNode copy = root.deepCopy();
            scalingOf(copy, nested).remove(key);
            out.add(new Case(stem + "/missing-" + key, write(copy), sp + "." + key));
          }
        }
        for (String key : List.of("short_factor", "long_factor")) {
          if (!scaling.has(key)) {
            continue;
          }
          ArrayNode list = (ArrayNode) scaling.get(key);
          out.add(inScaling(stem, root, scaling, key, slice(list, list.size() - 1), sp + "." + key));
          out.add(inScaling(stem, root, scaling, key, concat(list, NODES.arrayNode().add(1.0)), sp + "." + key));
          out.add(inScaling(stem, root, scaling, key, NODES.arrayNode(), sp + "." + key));
          out.add(inScaling(stem, root, scaling, key, concat(list, list), sp + "." + key));
          for (JsonNode badItem : List.of(NODES.textNode("x"), NODES.numberNode(Double.NaN), NODES.numberNode(-1),
              NODES.numberNode(0), NODES.nullNode())) {
            ArrayNode copy = list.deepCopy();
            copy.set(list.size() / 2, badItem);
            out.add(inScaling(stem, root, scaling, key, copy, sp + "." + key));
          }
          out.add(inScaling(stem, root, scaling, key, NODES.textNode("1,2,3"), sp + "." + key));
        }
      }
    }
    out.add(new Case("deep-nesting-100000", deepNesting(100_000), ""));
    out.add(new Case("huge-100MB", huge(100 * 1024 * 1024), ""));
    // Numbered, so that two mutations that print alike (long lists) still have distinct names.
    List<Case> numbered = new ArrayList<>(out.size());
    for (int i = 0; i < out.size(); i++) {
      Case c = out.get(i);
      numbered.add(new Case(String.format("%03d-%s", i, c.name()), c.bytes(), c.expectedField()));
    }
    return numbered;
  }

  /** Non-numbers, non-finite, zero, negative and absurd values. */
  private static List<JsonNode> badNumbers() {
    return List.of(NODES.textNode("8.0"), NODES.booleanNode(true), NODES.arrayNode().add(8),
        NODES.objectNode().put("value", 8), NODES.numberNode(Double.NaN),
        NODES.numberNode(Double.POSITIVE_INFINITY), NODES.numberNode(Double.NEGATIVE_INFINITY), NODES.numberNode(0),
        NODES.numberNode(-8), NODES.numberNode(1e300));
  }

  private static String type(ObjectNode scaling) {
    JsonNode t = scaling.has("rope_type") ? scaling.get("rope_type") : scaling.get("type");
    return t == null ? "default" : t.asText();
  }

  private static ObjectNode scalingOf(ObjectNode root, boolean nested) {
    ObjectNode text = nested ? (ObjectNode) root.get("text_config") : root;
    return (ObjectNode) text.get("rope_scaling");
  }

  private static Case mutated(String stem, ObjectNode root, ObjectNode text, String key, JsonNode value,
      String field) {
    ObjectNode copy = root.deepCopy();
    ObjectNode target = text == root ? copy : (ObjectNode) copy.get("text_config");
    target.set(key, value);
    return new Case(stem + "/" + key + "=" + abbreviate(value), write(copy), field);
  }

  private static Case inScaling(String stem, ObjectNode root, ObjectNode scaling, String key, JsonNode value,
      String field) {
    ObjectNode copy = root.deepCopy();
    scalingOf(copy, root.has("text_config")).set(key, value);
    return new Case(stem + "/rope_scaling." + key + "=" + abbreviate(value), write(copy), field);
  }

  private static String abbreviate(JsonNode v) {
    String s = v.isNumber() ? v.asText() : v.toString();
    return s.length() > 24 ? s.substring(0, 24) + "..." : s;
  }

  private static ArrayNode slice(ArrayNode list, int n) {
    ArrayNode out = NODES.arrayNode();
    for (int i = 0; i < n; i++) {
      out.add(list.get(i));
    }
    return out;
  }

  private static ArrayNode concat(ArrayNode a, ArrayNode b) {
    ArrayNode out = a.deepCopy();
    out.addAll(b.deepCopy());
    return out;
  }

  private static byte[] write(JsonNode node) {
    // Jackson writes NaN and infinities as quoted strings by default; configs written by Python carry them bare.
    try {
      return MAPPER.writer().without(com.fasterxml.jackson.core.json.JsonWriteFeature.WRITE_NAN_AS_STRINGS)
          .writeValueAsBytes(node);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] withInvalidUtf8(byte[] bytes) {
    String s = new String(bytes, StandardCharsets.UTF_8);
    int at = s.indexOf("\"model_type\": \"") + 15;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] head = s.substring(0, at).getBytes(StandardCharsets.UTF_8);
    out.write(head, 0, head.length);
    out.write(0xC3);
    out.write(0x28);
    byte[] tail = s.substring(at).getBytes(StandardCharsets.UTF_8);
    out.write(tail, 0, tail.length);
    return out.toByteArray();
  }

  public static byte[] deepNesting(int depth) {
    StringBuilder sb = new StringBuilder(depth * 6 + 2);
    sb.append("[".repeat(depth)).append("]".repeat(depth));
    return ("{\"hidden_size\": 4096, \"num_attention_heads\": 32, \"x\": " + sb + "}")
        .getBytes(StandardCharsets.UTF_8);
  }

  public static byte[] huge(int size) {
    byte[] out = new byte[size];
    byte[] head = "{\"hidden_size\": 4096, \"num_attention_heads\": 32, \"padding\": \"".getBytes(StandardCharsets.UTF_8);
    System.arraycopy(head, 0, out, 0, head.length);
    Random r = new Random(7);
    for (int i = head.length; i < size - 2; i++) {
      out[i] = (byte) ('a' + r.nextInt(26));
    }
    out[size - 2] = '"';
    out[size - 1] = '}';
    return out;
  }
}
