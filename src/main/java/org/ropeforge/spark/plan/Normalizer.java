package org.ropeforge.spark.plan;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.ropeforge.BuildInfo;
import org.ropeforge.config.CatalogEntry;
import org.ropeforge.config.CatalogManifest;
import org.ropeforge.config.ConfigBytes;
import org.ropeforge.config.ModelConfig;
import org.ropeforge.config.ModelTypeConformance;
import org.ropeforge.config.RopeResolver;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.ResolvedRope;
import org.ropeforge.core.RopeConfigException;
import org.ropeforge.format.GgufConfig;
import org.ropeforge.format.GgufFile;
import org.ropeforge.format.RopeTableFile;
import org.ropeforge.io.HadoopConf;
import org.ropeforge.io.Sha256;

/**
 * Runs on executors: reads one catalog entry's config, parses it once and resolves it at every context
 * length. Every failure becomes an error {@link Target}, so that one bad config never stops the others.
 */
public final class Normalizer implements Serializable {
  private static final long serialVersionUID = 2L;

  private final HadoopConf conf;
  private final OutputSettings settings;
  private final List<Long> defaultContextLengths;
  private final boolean refuseUnknownModelTypes;

  /**
   * @param defaultContextLengths lengths for entries that name none; empty for each model's own
   */
  public Normalizer(HadoopConf conf, OutputSettings settings, List<Long> defaultContextLengths) {
    this(conf, settings, defaultContextLengths, false);
  }

  /**
   * @param refuseUnknownModelTypes refuse a model whose model_type is not in the conformance table, instead of
   *     resolving it by the generic rules with a warning
   */
  public Normalizer(HadoopConf conf, OutputSettings settings, List<Long> defaultContextLengths,
      boolean refuseUnknownModelTypes) {
    this.conf = conf;
    this.settings = settings;
    this.defaultContextLengths = List.copyOf(defaultContextLengths);
    this.refuseUnknownModelTypes = refuseUnknownModelTypes;
  }

  private RopeResolver.Options resolverOptions() {
    return RopeResolver.Options.DEFAULT.withSemantics(settings.semantics()).withPrecision(settings.precision());
  }

  /**
   * The targets of one catalog entry: one per (context length), or in a run of several layouts and dtypes one
   * per (context length, form), each with its form's fingerprint; an error row likewise once per form.
   */
  public List<Target> normalize(CatalogEntry entry) {
    List<Target> targets = normalizeLengths(entry);
    if (!settings.severalEncodings()) {
      return targets;
    }
    List<Encoding> encodings = settings.encodings();
    List<Target> expanded = new ArrayList<>(targets.size() * encodings.size());
    for (Target target : targets) {
      for (Encoding encoding : encodings) {
        expanded.add(target.withEncoding(encoding, target.ok()
            ? fingerprint(settings.forEncoding(encoding), target.modelId(), target.configSha256(),
                target.contextLength()) : target.inputSha256()));
      }
    }
    return expanded;
  }

  private List<Target> normalizeLengths(CatalogEntry entry) {
    if (!entry.usable()) {
      return List.of(Target.failed(entry.modelId(), entry.config(), Target.UNKNOWN_LENGTH, null,
          Problem.of(entry.defect())));
    }
    String idProblem = ModelIds.problem(entry.modelId());
    if (idProblem != null) {
      return List.of(Target.failed(entry.modelId(), entry.config(), Target.UNKNOWN_LENGTH, null,
          new Problem("model_id", entry.modelId(),
              "Model id '" + Problem.printable(entry.modelId()) + "' " + idProblem)));
    }
    ConfigBytes bytes;
    try {
      bytes = read(entry.modelId(), entry.config());
    } catch (RopeConfigException e) {
      return List.of(Target.failed(entry.modelId(), entry.config(), Target.UNKNOWN_LENGTH, null, Problem.of(e)));
    } catch (IOException | RuntimeException e) {
      return List.of(Target.failed(entry.modelId(), entry.config(), Target.UNKNOWN_LENGTH, null,
          Problem.of("config", entry.config(), "Cannot read config", e)));
    }
    ModelConfig config = null;
    List<Long> lengths;
    ModelTypeConformance conformance;
    try {
      lengths = !entry.contextLengths().isEmpty() ? entry.contextLengths()
          : !defaultContextLengths.isEmpty() ? defaultContextLengths
          : null;
      conformance = CACHE ? CONFORMANCE.get(bytes.sha256()) : null;
      if (lengths == null || conformance == null) {
        config = RopeResolver.parse(entry.modelId(), bytes);
        conformance = config.conformance();
        if (CONFORMANCE.size() >= RESOLVED_CAPACITY) {
          CONFORMANCE.clear();
        }
        CONFORMANCE.put(bytes.sha256(), conformance);
        if (lengths == null) {
          lengths = config.defaultContextLengths();
        }
      }
      if (conformance.status() == ModelTypeConformance.Status.UNKNOWN) {
        if (refuseUnknownModelTypes) {
          throw conformance.refusal(entry.modelId());
        }
        if (WARNED.add(conformance.modelType()) && WARNED.size() < 1_000) {
          LOG.warn("{} (first seen for model '{}'); resolved by the generic rules", conformance.unknownReason(),
              Problem.printable(entry.modelId()));
        }
      }
    } catch (RuntimeException e) {
      return unusableConfig(entry, bytes.sha256(), e);
    }
    List<Target> targets = new ArrayList<>(lengths.size());
    for (long length : lengths.stream().distinct().sorted().toList()) {
      List<LayerRope> known = CACHE ? RESOLVED.get(cacheKey(bytes.sha256(), length)) : null;
      if (known != null) {
        targets.add(new Target(entry.modelId(), length, entry.config(), bytes.sha256(),
            fingerprint(entry.modelId(), bytes.sha256(), length), known, null, conformance.status().label()));
        continue;
      }
      if (config == null) {
        try {
          config = RopeResolver.parse(entry.modelId(), bytes);
        } catch (RuntimeException e) {
          return unusableConfig(entry, bytes.sha256(), e);
        }
      }
      Target target = resolve(entry, config, bytes.sha256(), length, conformance.status().label());
      if (target.ok()) {
        remember(cacheKey(bytes.sha256(), length), target.layers());
      }
      targets.add(target);
    }
    // A config that fails the same way at every length is one bad config: one error row, not one per length.
    boolean sameFailure = targets.stream().allMatch(t -> !t.ok() && t.error().equals(targets.get(0).error()));
    if (targets.size() > 1 && sameFailure) {
      return List.of(Target.failed(entry.modelId(), entry.config(), Target.UNKNOWN_LENGTH, bytes.sha256(),
          targets.get(0).error()));
    }
    return targets;
  }

  /** The one error row of a config that cannot be parsed or whose model type is refused. */
  private static List<Target> unusableConfig(CatalogEntry entry, String configSha, RuntimeException e) {
    Problem problem = e instanceof RopeConfigException refused ? Problem.of(refused)
        : Problem.of("", null, "Cannot parse config", e);
    return List.of(Target.failed(entry.modelId(), entry.config(), Target.UNKNOWN_LENGTH, configSha, problem));
  }

  /**
   * Layers resolved on this executor, by config hash, context length and settings. A registry's catalog holds
   * thousands of models that share a base config byte for byte (fine-tunes do not change rope settings), and
   * resolving is what a model costs here; the bytes are still read and hashed per model, so a changed config is
   * never taken for another. Refusals are not kept: their messages name the model.
   */
  private static final Map<String, List<LayerRope>> RESOLVED = new ConcurrentHashMap<>();

  /**
   * Whether {@link #RESOLVED} and {@link #CONFORMANCE} are used: always, but in a measurement of what a catalog of
   * distinct configs costs (system property {@code ropeforge.resolve-cache=off}, which {@code jobs/scale-catalog
   * --no-resolve-cache} sets), where every model's config is parsed and resolved.
   */
  static final boolean CACHE = !"off".equals(System.getProperty("ropeforge.resolve-cache"));

  /** The model type's conformance, by config hash; bounded with {@link #RESOLVED}. */
  private static final Map<String, ModelTypeConformance> CONFORMANCE = new ConcurrentHashMap<>();

  /** Unknown model types already warned about on this executor: one line each, not one per model. */
  private static final java.util.Set<String> WARNED = ConcurrentHashMap.newKeySet();

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Normalizer.class);

  /** Distinct configs kept at most; beyond it the cache starts afresh rather than grow with the catalog. */
  static final int RESOLVED_CAPACITY = 4096;

  private String cacheKey(String configSha, long length) {
    return configSha + '/' + length + '/' + settings.semantics().cliName() + '/' + settings.precision().cliName();
  }

  private static void remember(String key, List<LayerRope> layers) {
    if (RESOLVED.size() >= RESOLVED_CAPACITY) {
      RESOLVED.clear();
      CONFORMANCE.clear();
    }
    RESOLVED.put(key, layers);
  }

  /**
   * The target of one (model, length) as a run with these settings planned it: what verify checks a listed
   * output against. The config is read again, so a config changed since the run shows as a different hash.
   */
  public Target rederive(String modelId, String configUri, long contextLength) {
    return normalize(CatalogEntry.of(modelId, configUri, List.of(contextLength))).get(0);
  }

  /** As {@link #rederive(String, String, long)}, the output of one form of a run of several. */
  public Target rederive(String modelId, String configUri, long contextLength, Encoding encoding) {
    for (Target target : normalize(CatalogEntry.of(modelId, configUri, List.of(contextLength)))) {
      if (encoding.equals(target.encoding())) {
        return target;
      }
    }
    throw new IllegalArgumentException("Form " + encoding + " is not one of the run's " + settings.encodings());
  }

  private Target resolve(CatalogEntry entry, ModelConfig config, String configSha, long length,
      String conformance) {
    try {
      String lengthProblem = CatalogManifest.contextLengthProblem(length);
      if (lengthProblem != null) {
        throw new IllegalArgumentException(lengthProblem);
      }
      ResolvedRope resolved = RopeResolver.resolve(config, length, resolverOptions());
      return new Target(entry.modelId(), length, entry.config(), configSha,
          fingerprint(entry.modelId(), configSha, length), resolved.layers(), null, conformance);
    } catch (RopeConfigException e) {
      return Target.failed(entry.modelId(), entry.config(), length, configSha, Problem.of(e));
    } catch (RuntimeException e) {
      return Target.failed(entry.modelId(), entry.config(), length, configSha,
          Problem.of("", null, "Cannot resolve at context length " + length, e));
    }
  }

  /** Changes whenever any input of the outputs of (model, length) changes; re-runs compare it. */
  String fingerprint(String modelId, String configSha, long length) {
    return fingerprint(settings, modelId, configSha, length);
  }

  /** The fingerprint under {@code outputSettings}: a form's outputs take their form's settings alone. */
  private static String fingerprint(OutputSettings outputSettings, String modelId, String configSha, long length) {
    // The file format's version too: a run after a layout change must not take the old files for current.
    String text = String.join("\n", "ropeforge " + BuildInfo.VERSION,
        "format_version=" + RopeTableFile.FORMAT_VERSION, outputSettings.fingerprintText(),
        "model_id=" + modelId, "config_sha256=" + configSha, "context_length=" + length);
    return Sha256.hex(text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The config's bytes; for a GGUF file, the config derived from its header (and its other shards', when it is
   * the first shard of a split), which is all that is read of it; for a folder, that of the one GGUF model in it.
   */
  private ConfigBytes read(String modelId, String uri) throws IOException {
    Path path = new Path(uri);
    FileSystem fs = conf.fileSystem(path);
    org.apache.hadoop.fs.FileStatus status = fs.getFileStatus(path);
    if (status.isDirectory()) {
      java.util.List<String> names = new java.util.ArrayList<>();
      for (org.apache.hadoop.fs.FileStatus child : fs.listStatus(path)) {
        if (child.isFile()) {
          names.add(child.getPath().getName());
        }
      }
      return readGguf(modelId, fs, new Path(path, GgufConfig.modelFile(modelId, uri, names)));
    }
    if (GgufConfig.isGguf(uri)) {
      return readGguf(modelId, fs, path);
    }
    long listed = status.getLen();
    // A buffer fitted to the config: the filesystem's default (Spark sets 64 KiB) allocated for every one of a
    // million configs of a few KB was most of what a read cost.
    int buffer = (int) Math.max(512, Math.min(listed + 1, 1 << 16));
    try (InputStream in = fs.open(path, buffer)) {
      return ConfigBytes.read(in, listed);
    }
  }

  /** A GGUF file and, when it is a split's first shard, the shards beside it, read through {@code fs}. */
  private static ConfigBytes readGguf(String modelId, FileSystem fs, Path first) throws IOException {
    Path folder = first.getParent();
    return GgufConfig.read(modelId, first.getName(), name -> {
      Path file = new Path(folder, name);
      long size;
      try {
        org.apache.hadoop.fs.FileStatus status = fs.getFileStatus(file);
        if (!status.isFile()) {
          return null;
        }
        size = status.getLen();
      } catch (java.io.FileNotFoundException e) {
        return null;
      }
      try (FSDataInputStream in = fs.open(file)) {
        return GgufConfig.header(new GgufFile.Source() {
          @Override
          public long size() {
            return size;
          }

          @Override
          public void readFully(long position, byte[] buffer, int offset, int length) throws IOException {
            in.readFully(position, buffer, offset, length);
          }
        });
      }
    });
  }
}
