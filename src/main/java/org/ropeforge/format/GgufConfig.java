package org.ropeforge.format;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.ropeforge.config.ConfigBytes;
import org.ropeforge.core.RopeConfigException;

/**
 * A GGUF file's RoPE facts as the config.json they come from: the GGUF metadata and rope tensors, mapped back to
 * the HuggingFace fields that llama.cpp's converter reads them from, so that a GGUF model resolves through the
 * same normalisation, variants and semantics as its config.json. The derived config is what a GGUF entry's
 * {@code config_sha256} hashes: it holds every fact of the file that the tables depend on, and nothing else.
 *
 * <p>Only architectures whose converter mapping is known are read; anything GGUF cannot express as a config, or
 * expresses ambiguously, is refused by name with a {@link RopeConfigException} whose field is the GGUF key.
 */
public final class GgufConfig {
  public static final String EXTENSION = ".gguf";
  public static final String ROPE_FREQS = "rope_freqs.weight";
  public static final String ROPE_FACTORS_LONG = "rope_factors_long.weight";
  public static final String ROPE_FACTORS_SHORT = "rope_factors_short.weight";

  /**
   * How an architecture's GGUF file records the rotary dimension, which decides how
   * {@code <arch>.rope.dimension_count} maps back.
   */
  enum Rotary {
    /** The whole head rotates (the model's transformers code ignores or lacks a partial factor). */
    FULL,
    /**
     * The converter writes the rotated part, {@code int(partial_rotary_factor * head_dim)}, which maps back to
     * {@code partial_rotary_factor} (always written, since these families default to a factor below 1).
     */
    PARTIAL,
    /**
     * Multi-head latent attention: the rotated part is {@code qk_rope_head_dim} (required), and
     * {@code attention.key_length} is the compressed width, not the head dimension.
     */
    LATENT
  }

  /** A GGUF architecture ropeforge maps: the HF model_type it is converted from, and how it records rotation. */
  record Arch(String modelType, Rotary rotary) {}

  /**
   * GGUF architecture to what the converter reads it from. Every model_type here but gemma3_text has
   * transformers' default rope_theta 10000, llama.cpp's default freq_base, so a file without freq_base maps to a
   * config without rope_theta (gemma3's is always written). Architectures whose RoPE the header cannot give back are not listed, and are refused by name:
   * per-layer-type RoPE other than Gemma 3's (cohere2, olmo3: the header has no layer pattern ropeforge
   * reads), multimodal sections (qwen2vl, glm4v: {@code rope.dimension_sections}), remote-code families whose scaling the converter
   * drops (internlm2's dynamic NTK, exaone, minicpm, chatglm), and falcon (the converter writes a fixed 2048
   * context length instead of the config's).
   */
  private static final Map<String, Arch> ARCHS = Map.ofEntries(
      Map.entry("llama", new Arch("llama", Rotary.FULL)),
      Map.entry("qwen2", new Arch("qwen2", Rotary.FULL)),
      Map.entry("qwen3", new Arch("qwen3", Rotary.FULL)),
      Map.entry("phi3", new Arch("phi3", Rotary.FULL)),
      Map.entry("qwen2moe", new Arch("qwen2_moe", Rotary.FULL)),
      Map.entry("qwen3moe", new Arch("qwen3_moe", Rotary.FULL)),
      Map.entry("gemma", new Arch("gemma", Rotary.FULL)),
      Map.entry("gemma2", new Arch("gemma2", Rotary.FULL)),
      Map.entry(Gemma3.ARCH, new Arch("gemma3_text", Rotary.FULL)),
      Map.entry("olmo", new Arch("olmo", Rotary.FULL)),
      Map.entry("olmo2", new Arch("olmo2", Rotary.FULL)),
      Map.entry("granite", new Arch("granite", Rotary.FULL)),
      Map.entry("starcoder2", new Arch("starcoder2", Rotary.FULL)),
      Map.entry("command-r", new Arch("cohere", Rotary.FULL)),
      Map.entry("phi2", new Arch("phi", Rotary.PARTIAL)),
      Map.entry("stablelm", new Arch("stablelm", Rotary.PARTIAL)),
      Map.entry("gptneox", new Arch("gpt_neox", Rotary.PARTIAL)),
      Map.entry("glm4", new Arch("glm4", Rotary.PARTIAL)),
      Map.entry("deepseek2", new Arch("deepseek_v3", Rotary.LATENT)));

  /** The {@code <arch>.rope.*} keys mapped; any other rope key is something the mapping would drop. */
  private static final Set<String> ROPE_KEYS = Set.of("rope.freq_base", "rope.dimension_count",
      "rope.scaling.type", "rope.scaling.factor", "rope.scaling.original_context_length",
      "rope.scaling.attn_factor", "rope.scaling.yarn_beta_fast", "rope.scaling.yarn_beta_slow");
  /** llama.cpp's freq_base when the file has none. */
  private static final double FREQ_BASE_DEFAULT = 10_000.0;
  /** deepseek2's yarn: the converter writes 0.1 x mscale_all_dim here. */
  private static final String YARN_LOG_MULTIPLIER = "rope.scaling.yarn_log_multiplier";
  /** The converter's factor: yarn_log_multiplier = 0.1 x mscale_all_dim. */
  private static final double LOG_MULTIPLIER_PER_MSCALE = 0.1;

  /**
   * Gemma 3: llama.cpp gives its sliding-window layers (every layer but each sixth, when the header has a sliding
   * window) base 10000 and no scaling, and the others freq_base with the file's scaling; transformers' Gemma 3 gives
   * sliding_attention rope_local_base_freq (10000 by default) and full_attention rope_theta with rope_scaling, one
   * table each. Only linear scaling is mapped (the converter writes no other), and rope_theta is always written,
   * since llama.cpp's default (10000) is not transformers' (1e6).
   */
  private static final class Gemma3 {
    static final String ARCH = "gemma3";
    static final String FREQ_BASE_SWA = "rope.freq_base_swa";
    static final double LOCAL_BASE = 10_000.0;
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private GgufConfig() {}

  /** Whether a catalog location names a GGUF file. */
  public static boolean isGguf(String location) {
    return location.toLowerCase(Locale.ROOT).endsWith(EXTENSION);
  }

  /**
   * The other files of a model's folder, by name: how the shards of a split model are reached from the first.
   * Each call reads the GGUF header of one file with {@link #header}.
   */
  @FunctionalInterface
  public interface Folder {
    /** The header of the file {@code name} beside the first shard, or null when there is no such file. */
    GgufFile header(String name) throws IOException;
  }

  /** The header and rope tensors of a GGUF file; a malformed one is a {@link GgufFormatException}. */
  public static GgufFile header(GgufFile.Source source) throws IOException {
    return GgufFile.read(source, Set.of(ROPE_FREQS, ROPE_FACTORS_LONG, ROPE_FACTORS_SHORT));
  }

  /** The derived config of the GGUF file at {@code path}, with the other shards of its split beside it. */
  public static ConfigBytes read(String modelId, Path path) throws IOException {
    return read(modelId, path.getFileName().toString(), name -> {
      Path file = path.resolveSibling(name);
      if (!Files.isRegularFile(file)) {
        return null;
      }
      try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
        return header(GgufFile.Source.of(channel));
      }
    });
  }

  /**
   * The derived config of the GGUF file in {@code source}, alone: a split model's first shard is refused, since
   * its other shards cannot be reached. A malformed file or one the mapping refuses is a
   * {@link RopeConfigException} naming the model, the GGUF field and the rule; an IOException is the source's.
   */
  public static ConfigBytes read(String modelId, GgufFile.Source source) throws IOException {
    GgufFile file;
    try {
      file = header(source);
    } catch (GgufFormatException e) {
      throw new RopeConfigException(modelId, e.field(), e.value(), e.rule() + " (GGUF header)");
    }
    Object count = file.metadata().get(GgufSplit.SPLIT_COUNT);
    if (count instanceof Long n && n > 1) {
      throw new RopeConfigException(modelId, GgufSplit.SPLIT_COUNT, n.toString(), "= " + n + ": a shard read "
          + "alone, not from its folder, cannot reach the other shards of its split");
    }
    String name = modelId + EXTENSION;
    return read(modelId, name, n -> n.equals(name) ? file : null);
  }

  /**
   * The derived config of the GGUF file {@code fileName} of {@code folder}: a file of its own, or the first
   * shard of a split whose other shards {@code folder} holds under their gguf-split names. Every shard must
   * say the same {@code split.count}, its own {@code split.no}, and together hold {@code split.tensors.count}
   * tensors; a missing shard, a disagreeing one, or a rope tensor in two shards is refused naming the file.
   */
  public static ConfigBytes read(String modelId, String fileName, Folder folder) throws IOException {
    GgufFile first = shard(modelId, fileName, folder, "(GGUF header)");
    if (first == null) {
      throw new RopeConfigException(modelId, "config", fileName, "= " + fileName + " does not exist");
    }
    Long count = splitNumber(modelId, fileName, first, GgufSplit.SPLIT_COUNT);
    if (count == null || count == 1) {
      return ConfigBytes.of(derive(modelId, first, ropeTensors(first)));
    }
    Long no = splitNumber(modelId, fileName, first, GgufSplit.SPLIT_NO);
    GgufSplit.ShardName name = GgufSplit.ShardName.parse(fileName);
    if (no == null || no != 0) {
      throw new RopeConfigException(modelId, GgufSplit.SPLIT_NO, String.valueOf(no), "= " + no + " in " + fileName
          + ": a model is named by its first shard (split.no = 0)"
          + (name == null ? "" : ", " + name.fileName(1)));
    }
    if (count > GgufSplit.MAX_SHARDS || name == null || name.number() != 1 || name.count() != count) {
      throw new RopeConfigException(modelId, GgufSplit.SPLIT_COUNT, count.toString(), "= " + count + " in "
          + fileName + ", whose name is not <stem>-00001-of-" + String.format(Locale.ROOT, "%05d", count)
          + EXTENSION + ", so its other shards cannot be named");
    }
    Long tensorsCount = splitNumber(modelId, fileName, first, GgufSplit.SPLIT_TENSORS_COUNT);
    if (tensorsCount == null) {
      throw new RopeConfigException(modelId, GgufSplit.SPLIT_TENSORS_COUNT, null, "is missing in " + fileName
          + ", the first shard of " + count);
    }
    Map<String, float[]> tensors = ropeTensors(first);
    Map<String, String> holders = new java.util.HashMap<>();
    tensors.keySet().forEach(t -> holders.put(t, fileName));
    long held = first.tensorCount();
    for (int n = 2; n <= count; n++) {
      String shardName = name.fileName(n);
      GgufFile shard = shard(modelId, shardName, folder, "(GGUF header of " + shardName + ")");
      if (shard == null) {
        throw new RopeConfigException(modelId, "split", shardName, "shard " + n + " of " + count + ", " + shardName
            + ", is missing beside " + fileName);
      }
      Long shardCount = splitNumber(modelId, shardName, shard, GgufSplit.SPLIT_COUNT);
      if (!count.equals(shardCount)) {
        throw new RopeConfigException(modelId, GgufSplit.SPLIT_COUNT, String.valueOf(shardCount), "= "
            + shardCount + " in " + shardName + " differs from " + count + " in the first shard " + fileName);
      }
      Long shardNo = splitNumber(modelId, shardName, shard, GgufSplit.SPLIT_NO);
      if (shardNo == null || shardNo != n - 1) {
        throw new RopeConfigException(modelId, GgufSplit.SPLIT_NO, String.valueOf(shardNo), "= " + shardNo
            + " in " + shardName + ", which is shard " + n + " of " + count + " (split.no " + (n - 1) + ")");
      }
      held += shard.tensorCount();
      for (Map.Entry<String, float[]> t : ropeTensors(shard).entrySet()) {
        String other = holders.putIfAbsent(t.getKey(), shardName);
        if (other != null) {
          throw new RopeConfigException(modelId, t.getKey(), shardName, "is in both " + other + " and " + shardName
              + "; which one llama.cpp loads is ambiguous");
        }
        tensors.put(t.getKey(), t.getValue());
      }
    }
    if (held != tensorsCount) {
      throw new RopeConfigException(modelId, GgufSplit.SPLIT_TENSORS_COUNT, tensorsCount.toString(), "= "
          + tensorsCount + " in " + fileName + ", but its " + count + " shards hold " + held + " tensors");
    }
    return ConfigBytes.of(derive(modelId, first, tensors));
  }

  /** The header of one shard, a malformed one refused naming the file. */
  private static GgufFile shard(String modelId, String name, Folder folder, String where) throws IOException {
    try {
      return folder.header(name);
    } catch (GgufFormatException e) {
      throw new RopeConfigException(modelId, e.field(), e.value(), e.rule() + " " + where);
    }
  }

  /**
   * The one model file among the file names of a folder that a catalog entry names: its only GGUF file, or the
   * first shard of its only split. Anything else (no GGUF file, several models, shards without their first) is
   * refused naming the folder.
   */
  public static String modelFile(String modelId, String folder, java.util.Collection<String> names) {
    java.util.TreeSet<String> models = new java.util.TreeSet<>();
    java.util.TreeSet<String> orphans = new java.util.TreeSet<>();
    for (String name : names) {
      if (!isGguf(name)) {
        continue;
      }
      GgufSplit.ShardName shard = GgufSplit.ShardName.parse(name);
      if (shard == null || shard.first()) {
        models.add(name);
      } else {
        orphans.add(shard.fileName(1));
      }
    }
    orphans.removeAll(models);
    if (!orphans.isEmpty()) {
      throw new RopeConfigException(modelId, "split", orphans.first(), "shard 1, " + orphans.first()
          + ", is missing in " + folder + ", which holds later shards of its split");
    }
    if (models.size() != 1) {
      throw new RopeConfigException(modelId, "config", folder, "= " + folder + " holds " + (models.isEmpty()
          ? "no GGUF file" : models.size() + " GGUF models " + models) + "; a folder entry must hold one model");
    }
    return models.first();
  }

  /** A split.* number: any integer type (gguf-split writes uint16 and int32), at least 0. */
  private static Long splitNumber(String modelId, String fileName, GgufFile file, String key) {
    Object v = file.metadata().get(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Long n) || !file.metadataType(key).contains("int")) {
      throw new RopeConfigException(modelId, key, String.valueOf(v), "in " + fileName + " is of GGUF type "
          + file.metadataType(key) + ", must be an integer");
    }
    if (n < 0) {
      throw new RopeConfigException(modelId, key, n.toString(), "= " + n + " in " + fileName + " must be >= 0");
    }
    return n;
  }

  private static Map<String, float[]> ropeTensors(GgufFile file) {
    Map<String, float[]> tensors = new java.util.HashMap<>();
    for (String name : List.of(ROPE_FREQS, ROPE_FACTORS_LONG, ROPE_FACTORS_SHORT)) {
      float[] data = file.tensorData(name);
      if (data != null) {
        tensors.put(name, data);
      }
    }
    return tensors;
  }

  /** The config.json bytes whose resolution the GGUF file's facts give. */
  static byte[] derive(String modelId, GgufFile file) throws IOException {
    return derive(modelId, file, ropeTensors(file));
  }

  /** As {@link #derive(String, GgufFile)}, with the rope tensors gathered from every shard. */
  private static byte[] derive(String modelId, GgufFile file, Map<String, float[]> ropeTensors) throws IOException {
    Facts facts = new Facts(modelId, file);
    String arch = facts.requireString("general.architecture");
    Arch mapped = ARCHS.get(arch);
    if (mapped == null) {
      throw new RopeConfigException(modelId, "general.architecture", arch, "= \"" + arch + "\" is not an "
          + "architecture whose GGUF RoPE keys ropeforge maps (" + String.join(", ", mappedArchitectures())
          + "); refused rather than guessed");
    }
    String p = arch + ".";
    boolean latent = mapped.rotary() == Rotary.LATENT;
    for (String key : file.metadata().keySet()) {
      if (key.startsWith(p + "rope.") && !mapsRopeKey(arch, mapped, key.substring(p.length()))) {
        throw new RopeConfigException(modelId, key, String.valueOf(file.metadata().get(key)),
            "is a RoPE key that ropeforge does not map to a config; refused rather than dropped");
      }
    }
    ObjectNode config = JSON.createObjectNode();
    config.put("model_type", mapped.modelType());
    long hidden = facts.requireCount(p + "embedding_length");
    long heads = facts.requireCount(p + "attention.head_count");
    config.put("hidden_size", hidden);
    config.put("num_attention_heads", heads);
    config.put("max_position_embeddings", facts.requireCount(p + "context_length"));
    Double base = facts.optFloat(p + "rope.freq_base");
    if (base != null) {
      config.put("rope_theta", base);
    }
    if (arch.equals(Gemma3.ARCH)) {
      gemma3(modelId, p, facts, config, base);
    }
    Long ropeDims = facts.optCount(p + "rope.dimension_count");
    long headDim;
    if (latent) {
      // key_length is kv_lora_rank + qk_rope_head_dim here (the compressed width), so only the rope part counts.
      headDim = facts.requireCount(p + "rope.dimension_count");
      config.put("qk_rope_head_dim", headDim);
    } else {
      // llama.cpp's head dimension is key_length, else embedding_length / head_count; it is always written,
      // since some families' configs default to another (Gemma's 256).
      Long keyLength = facts.optCount(p + "attention.key_length");
      long fullDim = keyLength != null ? keyLength : hidden / heads;
      config.put("head_dim", fullDim);
      headDim = rotaryDim(modelId, p, mapped, fullDim, ropeDims, config);
    }
    float[] freqs = ropeTensors.get(ROPE_FREQS);
    float[] longFactors = ropeTensors.get(ROPE_FACTORS_LONG);
    float[] shortFactors = ropeTensors.get(ROPE_FACTORS_SHORT);
    String type = facts.optString(p + "rope.scaling.type");
    Double factor = facts.optFloat(p + "rope.scaling.factor");
    Long original = facts.optCount(p + "rope.scaling.original_context_length");
    Double attnFactor = facts.optFloat(p + "rope.scaling.attn_factor");
    boolean longrope = longFactors != null || shortFactors != null || "longrope".equals(type);
    if (freqs != null && (type != null && !type.equals("none") || longrope)) {
      throw new RopeConfigException(modelId, ROPE_FREQS, null, "is given together with "
          + (longrope ? "longrope factors" : p + "rope.scaling.type = \"" + type + "\"")
          + "; which of them llama.cpp applies is ambiguous, so the file is refused");
    }
    if (arch.equals(Gemma3.ARCH) && (freqs != null || longrope)) {
      throw new RopeConfigException(modelId, freqs != null ? ROPE_FREQS : ROPE_FACTORS_LONG, null, "is not mapped "
          + "for gemma3: which of its layer types it would apply to is ambiguous");
    }
    ObjectNode scaling = JSON.createObjectNode();
    int half = (int) (headDim / 2);
    if (latent && headDim % 2 != 0) {
      throw new RopeConfigException(modelId, p + "rope.dimension_count", Long.toString(headDim),
          "= " + headDim + " must be even");
    }
    if (longrope) {
      if (longFactors == null || shortFactors == null) {
        throw new RopeConfigException(modelId, longFactors == null ? ROPE_FACTORS_LONG : ROPE_FACTORS_SHORT, null,
            "is missing: longrope needs both rope_factors_long and rope_factors_short");
      }
      checkLength(modelId, ROPE_FACTORS_LONG, longFactors, half);
      checkLength(modelId, ROPE_FACTORS_SHORT, shortFactors, half);
      if (original == null) {
        throw new RopeConfigException(modelId, p + "rope.scaling.original_context_length", null,
            "is required by longrope factors but missing");
      }
      scaling.put("rope_type", "longrope");
      scaling.set("long_factor", floats(longFactors));
      scaling.set("short_factor", floats(shortFactors));
      config.put("original_max_position_embeddings", original);
      if (attnFactor != null) {
        // The converter stores sqrt(1 + ln(s)/ln(original)) as float32; the config's own formula gives the value
        // in double. A value that is not that formula is an explicit attention factor.
        double scale = (double) config.get("max_position_embeddings").longValue() / original;
        double formula = scale > 1 ? Math.sqrt(1 + Math.log(scale) / Math.log(original)) : 1.0;
        if ((float) formula != attnFactor.floatValue()) {
          scaling.put("attention_factor", attnFactor);
        }
      }
    } else if (freqs != null) {
      checkLength(modelId, ROPE_FREQS, freqs, half);
      // llama.cpp divides each frequency by its rope_freqs value (how the converter stores llama3); transformers'
      // longrope with equal short and long factors and attention factor 1 is that same formula.
      scaling.put("rope_type", "longrope");
      scaling.set("long_factor", floats(freqs));
      scaling.set("short_factor", floats(freqs));
      scaling.put("attention_factor", 1.0);
      config.put("original_max_position_embeddings", config.get("max_position_embeddings").longValue());
      refuseUnused(modelId, p, factor, original, attnFactor, "rope_freqs");
    } else if (type == null || type.equals("none")) {
      if (factor != null && factor != 1.0) {
        throw new RopeConfigException(modelId, p + "rope.scaling.factor", factor.toString(),
            "= " + factor + " is given without a scaling type; whether it is linear is ambiguous");
      }
      refuseUnused(modelId, p, null, original, attnFactor, "no scaling type");
    } else if (type.equals("linear")) {
      scaling.put("rope_type", "linear");
      scaling.put("factor", facts.requireFloat(p + "rope.scaling.factor"));
      refuseUnused(modelId, p, null, original, attnFactor, "linear scaling");
    } else if (type.equals("yarn")) {
      scaling.put("rope_type", "yarn");
      scaling.put("factor", facts.requireFloat(p + "rope.scaling.factor"));
      scaling.put("original_max_position_embeddings", facts.requireCount(p + "rope.scaling.original_context_length"));
      Double betaFast = facts.optFloat(p + "rope.scaling.yarn_beta_fast");
      Double betaSlow = facts.optFloat(p + "rope.scaling.yarn_beta_slow");
      if (betaFast != null) {
        scaling.put("beta_fast", betaFast);
      }
      if (betaSlow != null) {
        scaling.put("beta_slow", betaSlow);
      }
      if (attnFactor != null) {
        throw new RopeConfigException(modelId, p + "rope.scaling.attn_factor", attnFactor.toString(),
            "with yarn scaling is not mapped: the converter writes it from different config fields per model");
      }
      if (latent) {
        // llama.cpp's deepseek2 divides yarn's own magnitude out of the rotation (attention factor 1) and folds
        // 0.1 x mscale_all_dim into the softmax scale; transformers' deepseek yarn has factor 1 when mscale
        // equals mscale_all_dim, which is what the file can say (it does not keep mscale).
        double mscale = facts.requireFloat(p + YARN_LOG_MULTIPLIER) / LOG_MULTIPLIER_PER_MSCALE;
        scaling.put("mscale", mscale);
        scaling.put("mscale_all_dim", mscale);
      }
    } else {
      throw new RopeConfigException(modelId, p + "rope.scaling.type", '"' + type + '"',
          "= \"" + type + "\" is not a scaling type ropeforge maps from GGUF (none, linear, yarn, longrope)");
    }
    if (latent && !"yarn".equals(type) && file.metadata().containsKey(p + YARN_LOG_MULTIPLIER)) {
      throw new RopeConfigException(modelId, p + YARN_LOG_MULTIPLIER,
          String.valueOf(file.metadata().get(p + YARN_LOG_MULTIPLIER)),
          "is given without yarn scaling, which alone uses it; what it was meant to change is ambiguous");
    }
    if (!scaling.isEmpty()) {
      config.set("rope_scaling", scaling);
    }
    return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(config);
  }

  /** Whether {@code <arch>.<local>}, a rope key, is one the mapping reads for {@code arch}. */
  private static boolean mapsRopeKey(String arch, Arch mapped, String local) {
    return ROPE_KEYS.contains(local) || mapped.rotary() == Rotary.LATENT && local.equals(YARN_LOG_MULTIPLIER)
        || arch.equals(Gemma3.ARCH) && local.equals(Gemma3.FREQ_BASE_SWA);
  }

  /** Gemma 3's two layer types, see {@link Gemma3}. */
  private static void gemma3(String modelId, String p, Facts facts, ObjectNode config, Double base) {
    facts.requireCount(p + "attention.sliding_window");
    if (base == null) {
      config.put("rope_theta", FREQ_BASE_DEFAULT);
    }
    Double swa = facts.optFloat(p + Gemma3.FREQ_BASE_SWA);
    if (swa != null && swa != Gemma3.LOCAL_BASE) {
      throw new RopeConfigException(modelId, p + Gemma3.FREQ_BASE_SWA, swa.toString(), "= " + swa + " is not "
          + "10000, the base llama.cpp gives gemma3's sliding-window layers whatever this key says in the versions "
          + "that fix it; which base the layers use is ambiguous");
    }
    config.put("rope_local_base_freq", Gemma3.LOCAL_BASE);
    String type = facts.optString(p + "rope.scaling.type");
    if (type != null && !type.equals("none") && !type.equals("linear")) {
      throw new RopeConfigException(modelId, p + "rope.scaling.type", '"' + type + '"', "= \"" + type + "\" is "
          + "not mapped for gemma3: llama.cpp applies it to the full-attention layers only, which no Gemma 3 "
          + "config does for anything but linear");
    }
  }

  /**
   * The rotated part of a {@code fullDim} head: all of it for {@link Rotary#FULL} (a different
   * {@code rope.dimension_count} is refused), else {@code rope.dimension_count} (absent: all, as llama.cpp
   * reads it), written as the partial_rotary_factor whose {@code int(head_dim * factor)} gives it back.
   */
  private static long rotaryDim(String modelId, String p, Arch arch, long fullDim, Long ropeDims,
      ObjectNode config) {
    if (arch.rotary() == Rotary.FULL) {
      if (ropeDims != null && ropeDims != fullDim) {
        throw new RopeConfigException(modelId, p + "rope.dimension_count", Long.toString(ropeDims),
            "= " + ropeDims + " differs from the head dimension " + fullDim + ": " + arch.modelType()
                + " rotates the whole head in transformers, so a partial rotary dimension has no config to map to");
      }
      return fullDim;
    }
    long rotary = ropeDims != null ? ropeDims : fullDim;
    if (rotary > fullDim || rotary % 2 != 0) {
      throw new RopeConfigException(modelId, p + "rope.dimension_count", Long.toString(rotary),
          "= " + rotary + " must be even and at most the head dimension " + fullDim);
    }
    double factor = (double) rotary / fullDim;
    if ((long) (fullDim * factor) != rotary) {
      throw new RopeConfigException(modelId, p + "rope.dimension_count", Long.toString(rotary),
          "= " + rotary + " of head dimension " + fullDim + " has no partial_rotary_factor whose int(head_dim x "
              + "factor) gives it back in double arithmetic");
    }
    config.put("partial_rotary_factor", factor);
    return rotary;
  }

  private static void refuseUnused(String modelId, String p, Double factor, Long original, Double attnFactor,
      String with) {
    String key = factor != null ? "rope.scaling.factor" : original != null ? "rope.scaling.original_context_length"
        : attnFactor != null ? "rope.scaling.attn_factor" : null;
    if (key != null) {
      Object value = factor != null ? factor : original != null ? original : attnFactor;
      throw new RopeConfigException(modelId, p + key, String.valueOf(value),
          "is given with " + with + ", which does not use it; what it was meant to change is ambiguous");
    }
  }

  private static void checkLength(String modelId, String tensor, float[] values, int half) {
    if (values.length != half) {
      throw new RopeConfigException(modelId, tensor, values.length + " values",
          "has " + values.length + " values, rotary_dim/2 is " + half);
    }
  }

  /** Float32 values widened exactly: a float32 in the file denotes itself, whatever decimal it came from. */
  private static ArrayNode floats(float[] values) {
    ArrayNode array = JSON.createArrayNode();
    for (float v : values) {
      array.add((double) v);
    }
    return array;
  }

  /** Typed access to the metadata; a value of the wrong type is refused by its key. */
  private record Facts(String modelId, GgufFile file) {
    String requireString(String key) {
      String v = optString(key);
      if (v == null) {
        throw new RopeConfigException(modelId, key, null, "is required but missing");
      }
      return v;
    }

    String optString(String key) {
      Object v = file.metadata().get(key);
      if (v == null && !file.metadata().containsKey(key)) {
        return null;
      }
      if (!(v instanceof String s)) {
        throw wrongType(key, "a string");
      }
      return s;
    }

    long requireCount(String key) {
      Long v = optCount(key);
      if (v == null) {
        throw new RopeConfigException(modelId, key, null, "is required but missing");
      }
      return v;
    }

    /** A positive whole number of an unsigned integer type, at most 2^31. */
    Long optCount(String key) {
      Object v = file.metadata().get(key);
      if (v == null) {
        return null;
      }
      String type = file.metadataType(key);
      if (!(v instanceof Long n) || !type.startsWith("uint")) {
        throw wrongType(key, "an unsigned integer (a per-layer array is not mapped)");
      }
      if (n < 1 || n > (1L << 31)) {
        throw new RopeConfigException(modelId, key, n.toString(), "= " + n + " must be between 1 and 2^31");
      }
      return n;
    }

    double requireFloat(String key) {
      Double v = optFloat(key);
      if (v == null) {
        throw new RopeConfigException(modelId, key, null, "is required but missing");
      }
      return v;
    }

    /** A finite positive float32 or float64. */
    Double optFloat(String key) {
      Object v = file.metadata().get(key);
      if (v == null) {
        return null;
      }
      if (!(v instanceof Double d)) {
        throw wrongType(key, "a float");
      }
      if (!(d > 0) || d.isInfinite()) {
        throw new RopeConfigException(modelId, key, d.toString(), "= " + d + " must be a finite number > 0");
      }
      return d;
    }

    private RopeConfigException wrongType(String key, String expected) {
      return new RopeConfigException(modelId, key, String.valueOf(file.metadata().get(key)),
          "is of GGUF type " + file.metadataType(key) + ", must be " + expected);
    }
  }

  /** For tests: the derived config as text. */
  static String deriveText(String modelId, GgufFile file) throws IOException {
    return new String(derive(modelId, file), java.nio.charset.StandardCharsets.UTF_8);
  }

  static List<String> mappedArchitectures() {
    return ARCHS.keySet().stream().sorted().toList();
  }

  /** The mapping of a GGUF architecture, or null when it is refused. */
  static Arch arch(String name) {
    return ARCHS.get(name);
  }
}
