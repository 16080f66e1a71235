package org.ropeforge.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.ropeforge.config.ModelConfig;
import org.ropeforge.config.RopeResolver;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.ResolvedRope;
import org.ropeforge.core.RopeConfigException;
import org.ropeforge.io.HadoopConf;
import org.ropeforge.io.Sha256;

/**
 * Runs on executors: reads one catalog entry's config, parses it once and resolves it at every context
 * length. Every failure becomes an error {@link Target}, so that one bad config never stops the others.
 */
final class Normalizer implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Configs are a few KB; anything this large is not one, and is not read into memory. */
  static final long MAX_CONFIG_BYTES = 16L << 20;

  private final HadoopConf conf;
  private final JobOptions options;

  Normalizer(HadoopConf conf, JobOptions options) {
    this.conf = conf;
    this.options = options;
  }

  private RopeResolver.Options resolverOptions() {
    return RopeResolver.Options.DEFAULT.withSemantics(options.semantics()).withPrecision(options.precision());
  }

  List<Target> normalize(CatalogEntry entry) {
    if (entry.problem() != null) {
      return List.of(Target.failed(entry, Target.UNKNOWN_LENGTH, null,
          new Target.Problem("catalog", entry.configUri(), entry.problem())));
    }
    String idProblem = ModelIds.problem(entry.modelId());
    if (idProblem != null) {
      return List.of(Target.failed(entry, Target.UNKNOWN_LENGTH, null, new Target.Problem("model_id",
          entry.modelId(), "Model id '" + printable(entry.modelId()) + "' " + idProblem)));
    }
    byte[] bytes;
    try {
      bytes = read(entry.configUri());
    } catch (IOException | RuntimeException e) {
      return List.of(Target.failed(entry, Target.UNKNOWN_LENGTH, null,
          new Target.Problem("config", entry.configUri(), "Cannot read config: " + describe(e))));
    }
    String configSha = Sha256.hex(bytes);
    ModelConfig config;
    List<Long> lengths;
    try {
      config = RopeResolver.parse(entry.modelId(), bytes);
      lengths = entry.contextLengths() != null ? boxed(entry.contextLengths())
          : options.contextLengths() != null ? boxed(options.contextLengths())
          : config.defaultContextLengths();
    } catch (RopeConfigException e) {
      return List.of(Target.failed(entry, Target.UNKNOWN_LENGTH, configSha, problem(e)));
    } catch (RuntimeException e) {
      return List.of(Target.failed(entry, Target.UNKNOWN_LENGTH, configSha,
          new Target.Problem("", null, "Cannot parse config: " + describe(e))));
    }
    List<Target> targets = new ArrayList<>(lengths.size());
    for (long length : lengths.stream().distinct().sorted().toList()) {
      targets.add(resolve(entry, config, configSha, length));
    }
    // A config that fails the same way at every length is one bad config: one error row, not one per length.
    boolean sameFailure = targets.stream().allMatch(t -> !t.ok() && t.error().equals(targets.get(0).error()));
    if (targets.size() > 1 && sameFailure) {
      return List.of(Target.failed(entry, Target.UNKNOWN_LENGTH, configSha, targets.get(0).error()));
    }
    return targets;
  }

  private Target resolve(CatalogEntry entry, ModelConfig config, String configSha, long length) {
    try {
      JobOptions.checkContextLength(length);
      ResolvedRope resolved = RopeResolver.resolve(config, length, resolverOptions());
      List<LayerSpec> layers = new ArrayList<>();
      for (LayerRope layer : resolved.layers()) {
        layers.add(LayerSpec.of(layer));
      }
      return new Target(entry.modelId(), length, entry.configUri(), configSha,
          fingerprint(entry.modelId(), configSha, length), layers, null);
    } catch (RopeConfigException e) {
      return Target.failed(entry, length, configSha, problem(e));
    } catch (RuntimeException e) {
      return Target.failed(entry, length, configSha,
          new Target.Problem("", null, "Cannot resolve at context length " + length + ": " + describe(e)));
    }
  }

  /** Changes whenever any input of the outputs of (model, length) changes; re-runs compare it. */
  String fingerprint(String modelId, String configSha, long length) {
    String text = String.join("\n", "ropeforge " + PrecomputeJob.VERSION, options.fingerprintText(),
        "model_id=" + modelId, "config_sha256=" + configSha, "context_length=" + length);
    return Sha256.hex(text.getBytes(StandardCharsets.UTF_8));
  }

  private byte[] read(String uri) throws IOException {
    Path path = new Path(uri);
    FileSystem fs = conf.fileSystem(path);
    long length = fs.getFileStatus(path).getLen();
    if (length > MAX_CONFIG_BYTES) {
      throw tooLarge(Long.toString(length));
    }
    // The listed length is only a hint (a file can grow after listing, some filesystems report 0): at most
    // one byte past the limit is read, in small steps, and never an allocation sized by the file.
    byte[] bytes;
    try (InputStream in = fs.open(path)) {
      bytes = in.readNBytes((int) MAX_CONFIG_BYTES + 1);
    }
    if (bytes.length > MAX_CONFIG_BYTES) {
      throw tooLarge("more than " + MAX_CONFIG_BYTES);
    }
    return bytes;
  }

  private static IOException tooLarge(String size) {
    return new IOException("config is " + size + " bytes, more than the " + MAX_CONFIG_BYTES + " allowed");
  }

  private static Target.Problem problem(RopeConfigException e) {
    return new Target.Problem(e.field() == null ? "" : e.field(), e.value(), e.getMessage());
  }

  private static List<Long> boxed(long[] values) {
    return Arrays.stream(values).boxed().toList();
  }

  static String describe(Throwable e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  static String printable(String text) {
    StringBuilder b = new StringBuilder(text.length());
    text.codePoints().forEach(c -> {
      if (Character.isISOControl(c)) {
        b.append(String.format("\\u%04x", c));
      } else {
        b.appendCodePoint(c);
      }
    });
    return b.toString();
  }
}
