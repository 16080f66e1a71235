package org.ropeforge.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.ropeforge.config.CatalogEntry;
import org.ropeforge.config.CatalogManifest;
import org.ropeforge.config.ConfigBytes;
import org.ropeforge.format.GgufConfig;
import org.ropeforge.config.ModelConfig;
import org.ropeforge.config.ModelTypeConformance;
import org.ropeforge.config.RopeResolver;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.ResolvedRope;
import org.ropeforge.core.RopeConfigException;
import org.ropeforge.core.Semantics;

/**
 * {@code ropeforge params}: RoPE parameters per model and context length as JSON lines, without Spark.
 * Exit status 0 when every model succeeds, 1 when any fails, 2 on a usage error.
 */
public final class ParamsCommand {
  static final String USAGE = """
      usage: ropeforge params (--config FILE | --catalog MANIFEST.jsonl) [options]
        --config FILE             one config.json, GGUF file (a split's first shard) or folder holding one
                                  GGUF model; its model id is the file name without .json or .gguf
        --catalog FILE            JSON lines {"model_id", "config", "context_lengths"?}; config paths are
                                  relative to the manifest's folder
        --context-length N        length to resolve at (default: the catalog line's lengths, else the
                                  model's max_position_embeddings)
        --semantics S             transformers (default) | exllamav2 | vllm
        --precision P             exact (default) | torch
        --alpha A                 ExLlamaV2 NTK alpha, scale_alpha_value (default 1; exllamav2 only)
        --max-seq-len N           ExLlamaV2 max_seq_len (default: the context length)
        --unknown-model-types M   warn (default): a model_type outside the conformance table is resolved by
                                  the generic rules with a warning | refuse: an error line naming it
      """;

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private ParamsCommand() {}

  public static int run(String[] args, PrintStream out, PrintStream err) {
    CliArgs cli;
    try {
      cli = CliArgs.parse(args, List.of("--config", "--catalog", "--context-length", "--semantics",
          "--precision", "--alpha", "--max-seq-len", "--unknown-model-types"), List.of("--help"));
      if (cli.flag("--help")) {
        out.print(USAGE);
        return 0;
      }
      if (cli.has("--config") == cli.has("--catalog")) {
        throw new UsageException("give exactly one of --config and --catalog");
      }
    } catch (UsageException e) {
      err.println("ropeforge params: " + e.getMessage());
      err.print(USAGE);
      return 2;
    }
    RopeResolver.Options options;
    boolean refuseUnknown;
    Long contextLength;
    List<CatalogEntry> entries = new ArrayList<>();
    List<ObjectNode> lineErrors = new ArrayList<>();
    Path manifestDir;
    try {
      options = new RopeResolver.Options(
          Semantics.parse(cli.get("--semantics", "transformers")),
          Precision.parse(cli.get("--precision", "exact")),
          cli.positiveDouble("--alpha", 1.0),
          cli.positiveLong("--max-seq-len", 0L));
      if (options.alpha() != 1.0 && options.semantics() != Semantics.EXLLAMAV2) {
        throw new UsageException("--alpha is ExLlamaV2's scale_alpha_value: use it with --semantics exllamav2");
      }
      String unknown = cli.get("--unknown-model-types", "warn");
      if (!unknown.equals("warn") && !unknown.equals("refuse")) {
        throw new UsageException("--unknown-model-types must be warn or refuse, got " + unknown);
      }
      refuseUnknown = unknown.equals("refuse");
      contextLength = cli.has("--context-length") ? cli.positiveLong("--context-length", 0L) : null;
      if (cli.has("--config")) {
        Path config = Path.of(cli.get("--config", null));
        entries.add(CatalogEntry.of(ConfigFile.stem(config), config.toString(), List.of()));
        manifestDir = Path.of("");
      } else {
        Path manifest = Path.of(cli.get("--catalog", null));
        manifestDir = manifest.toAbsolutePath().getParent();
        try (InputStream in = Files.newInputStream(manifest)) {
          CatalogManifest.read(in, manifest.getFileName().toString(), entry -> {
            if (entry.usable()) {
              entries.add(entry);
            } else {
              lineErrors.add(errorLine(entry.modelId(), null, entry.defect()));
            }
          });
        }
      }
    } catch (UsageException | IllegalArgumentException e) {
      err.println("ropeforge params: " + e.getMessage());
      err.print(USAGE);
      return 2;
    } catch (IOException e) {
      err.println("ropeforge params: cannot read the catalog: " + e.getMessage());
      return 2;
    }

    boolean anyFailed = !lineErrors.isEmpty();
    for (ObjectNode line : lineErrors) {
      out.println(line);
    }
    for (CatalogEntry entry : entries) {
      List<Long> lengths = contextLength != null ? List.of(contextLength) : entry.contextLengths();
      ModelConfig config;
      ModelTypeConformance conformance;
      try {
        byte[] bytes = readConfig(entry, manifestDir);
        config = RopeResolver.parse(entry.modelId(), bytes);
        conformance = config.conformance();
        if (conformance.status() == ModelTypeConformance.Status.UNKNOWN) {
          if (refuseUnknown) {
            throw conformance.refusal(entry.modelId());
          }
          err.println("ropeforge params: warning: model '" + entry.modelId() + "': " + conformance.unknownReason()
              + "; resolved by the generic rules");
        }
        if (lengths.isEmpty()) {
          lengths = List.of(config.maxPositionEmbeddings());
        }
      } catch (RopeConfigException e) {
        anyFailed = true;
        err.println("ropeforge params: " + e.getMessage());
        out.println(errorLine(entry.modelId(), lengths.isEmpty() ? null : lengths.get(0), e));
        continue;
      }
      for (long length : lengths) {
        try {
          ResolvedRope resolved = RopeResolver.resolve(config, length, options);
          resolved.warnings().forEach(w -> err.println("ropeforge params: warning: " + w));
          out.println(toJson(resolved, conformance));
        } catch (RopeConfigException e) {
          anyFailed = true;
          err.println("ropeforge params: " + e.getMessage());
          out.println(errorLine(entry.modelId(), length, e));
        }
      }
    }
    out.flush();
    return anyFailed ? 1 : 0;
  }

  private static byte[] readConfig(CatalogEntry entry, Path manifestDir) {
    String ref = entry.config();
    Path path;
    try {
      if (ref.startsWith("file:")) {
        path = Path.of(URI.create(ref));
      } else if (ref.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
        throw new RopeConfigException(entry.modelId(), "config", ref,
            "= " + ref + " uses a scheme that params cannot read; run the precompute job for object storage");
      } else {
        path = manifestDir.resolve(ref);
      }
    } catch (IllegalArgumentException e) {
      throw new RopeConfigException(entry.modelId(), "config", ref, "= " + ref + " cannot be read: " + e);
    }
    if (GgufConfig.isGguf(ref) || Files.isDirectory(path)) {
      try {
        return ConfigFile.read(entry.modelId(), path).bytes();
      } catch (IOException e) {
        throw new RopeConfigException(entry.modelId(), "config", ref, "= " + ref + " cannot be read: " + e);
      }
    }
    try (InputStream in = Files.newInputStream(path)) {
      return ConfigBytes.read(in, Files.size(path)).bytes();
    } catch (ConfigBytes.TooLargeException e) {
      throw new RopeConfigException(entry.modelId(), "", null, e.getMessage());
    } catch (IOException e) {
      throw new RopeConfigException(entry.modelId(), "config", ref, "= " + ref + " cannot be read: " + e);
    }
  }

  /** The documented output line for one model at one length, without the conformance fields. */
  public static ObjectNode toJson(ResolvedRope r) {
    return toJson(r, null);
  }

  /**
   * The documented output line for one model at one length: with {@code conformance}, also whether its model_type
   * is in the conformance table and which transformers version's semantics were applied.
   */
  public static ObjectNode toJson(ResolvedRope r, ModelTypeConformance conformance) {
    ObjectNode line = MAPPER.createObjectNode();
    line.put("model_id", r.modelId());
    line.put("context_length", r.contextLength());
    line.put("semantics", r.semantics().cliName());
    line.put("precision", r.precision().cliName());
    if (conformance != null) {
      line.put("model_type_conformance", conformance.status().label());
      if (r.semantics() == Semantics.TRANSFORMERS) {
        line.put("transformers_semantics", conformance.semanticsVersion());
      }
    }
    ArrayNode rules = line.putArray("rules_fired");
    r.rulesFired().forEach(rules::add);
    if (!r.warnings().isEmpty()) {
      ArrayNode warnings = line.putArray("warnings");
      r.warnings().forEach(warnings::add);
    }
    ArrayNode layers = line.putArray("layers");
    for (LayerRope l : r.layers()) {
      ObjectNode layer = layers.addObject();
      if (l.layerType() == null) {
        layer.putNull("layer_type");
      } else {
        layer.put("layer_type", l.layerType());
      }
      layer.put("rope_type", l.ropeType());
      layer.put("rotary_dim", l.rotaryDim());
      ArrayNode inv = layer.putArray("inv_freq");
      for (int i = 0; i < l.rotaryDim() / 2; i++) {
        inv.add(l.invFreq(i));
      }
      layer.put("attention_factor", l.attentionFactor());
      if (l.softmaxScale() != null) {
        layer.put("softmax_scale", l.softmaxScale());
      }
      if (l.mropeSection() != null) {
        ArrayNode section = layer.putArray("mrope_section");
        for (int s : l.mropeSection()) {
          section.add(s);
        }
      }
      if (l.positionScale() != 1.0) {
        layer.put("position_scale", l.positionScale());
      }
      if (l.positionOffset() != 0.0) {
        layer.put("position_offset", l.positionOffset());
      }
    }
    return line;
  }

  static ObjectNode errorLine(String modelId, Long contextLength, RopeConfigException e) {
    return errorLine(modelId, contextLength, new CatalogEntry.Defect(e.field(), e.value(), e.getMessage()));
  }

  static ObjectNode errorLine(String modelId, Long contextLength, CatalogEntry.Defect e) {
    ObjectNode line = MAPPER.createObjectNode();
    line.put("model_id", modelId);
    if (contextLength == null) {
      line.putNull("context_length");
    } else {
      line.put("context_length", contextLength);
    }
    ObjectNode error = line.putObject("error");
    error.put("field", e.field());
    if (e.value() == null) {
      error.putNull("value");
    } else {
      error.put("value", e.value());
    }
    error.put("message", e.message());
    return line;
  }
}
