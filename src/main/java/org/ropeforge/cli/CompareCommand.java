package org.ropeforge.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.ropeforge.config.ModelConfig;
import org.ropeforge.config.RopeResolver;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.ResolvedRope;
import org.ropeforge.core.RopeConfigException;
import org.ropeforge.core.Semantics;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.core.table.RopeTable;
import org.ropeforge.core.table.TableOptions;
import org.ropeforge.core.table.TablePart;

/**
 * {@code ropeforge compare}: one model under every semantics and precision, each against transformers in exact
 * precision, the reference semantics computed without float32 roundings.
 */
public final class CompareCommand {
  static final String USAGE = """
      usage: ropeforge compare --config FILE [--context-length L]
        --config FILE             one config.json or GGUF file (model id: the file name without .json or
                                  .gguf, or the folder of a config.json)
        --context-length L        table length; positions are sampled up to L - 1 (default: the model's
                                  max_position_embeddings)
      prints, for each semantics and precision, the largest difference from transformers/exact in inv_freq
      (relative, of the frequency each position is multiplied by), in the attention factor (relative), and in
      the stored cos/sin values (absolute) at sampled positions; a refusal prints its reason instead
      """;

  /** Random positions added to the fixed ones (0, 1, powers of two and their predecessors, L - 1). */
  static final int RANDOM_POSITIONS = 64;

  /** One semantics and precision under comparison. */
  record Engine(Semantics semantics, Precision precision) {
    String label() {
      return semantics.cliName() + " " + precision.cliName();
    }
  }

  /** The largest differences of one engine from the reference, or why it gave no parameters. */
  record Difference(Engine engine, double invFreq, double attentionFactor, double cosSin, String refusal) {}

  private CompareCommand() {}

  public static int run(String[] args, PrintStream out, PrintStream err) {
    Path config;
    Long contextLength;
    try {
      CliArgs cli = CliArgs.parse(args, List.of("--config", "--context-length"), List.of("--help"));
      if (cli.flag("--help")) {
        out.print(USAGE);
        return 0;
      }
      if (!cli.has("--config")) {
        throw new UsageException("--config is required");
      }
      config = Path.of(cli.get("--config", null));
      contextLength = cli.has("--context-length") ? cli.positiveLong("--context-length", 0L) : null;
    } catch (UsageException | IllegalArgumentException e) {
      err.println("ropeforge compare: " + e.getMessage());
      err.print(USAGE);
      return 2;
    }
    ModelConfig model;
    try {
      String modelId = modelId(config);
      model = RopeResolver.parse(modelId, ConfigFile.read(modelId, config));
    } catch (IOException e) {
      err.println("ropeforge compare: cannot read " + config + ": " + e.getMessage());
      return 1;
    } catch (RopeConfigException e) {
      err.println("ropeforge compare: " + e.getMessage());
      return 1;
    }
    long length;
    List<Difference> differences;
    try {
      length = contextLength != null ? contextLength : model.maxPositionEmbeddings();
      differences = compare(model, length);
    } catch (RopeConfigException e) {
      err.println("ropeforge compare: the reference (transformers exact) is refused: " + e.getMessage());
      // A type only another engine has (vLLM's ntk, xdrope, ...) still shows what each engine makes of it.
      length = contextLength != null ? contextLength : model.maxPositionEmbeddings();
      out.printf(Locale.ROOT, "model %s, context length %d, no reference (transformers exact is refused): each "
          + "engine alone%n", model.modelId(), length);
      for (String line : withoutReference(model, length)) {
        out.println(line);
      }
      return 1;
    }
    out.printf(Locale.ROOT, "model %s, context length %d, against transformers exact, %d positions%n",
        model.modelId(), length, positions(length).length);
    out.printf(Locale.ROOT, "%-20s %-10s %-10s %-10s%n", "semantics precision", "inv_freq", "attn", "cos/sin");
    for (Difference d : differences) {
      if (d.refusal() != null) {
        out.printf(Locale.ROOT, "%-20s refused: %s%n", d.engine().label(), d.refusal());
      } else {
        out.printf(Locale.ROOT, "%-20s %-10s %-10s %-10s%n", d.engine().label(), format(d.invFreq()),
            format(d.attentionFactor()), format(d.cosSin()));
      }
    }
    return 0;
  }

  /** Every engine but the reference, in a fixed order, against transformers exact at {@code length}. */
  static List<Difference> compare(ModelConfig model, long length) {
    ResolvedRope reference = RopeResolver.resolve(model, length, RopeResolver.Options.DEFAULT);
    long[] positions = positions(length);
    List<Difference> out = new ArrayList<>();
    for (Semantics semantics : Semantics.values()) {
      for (Precision precision : Precision.values()) {
        Engine engine = new Engine(semantics, precision);
        if (semantics == Semantics.TRANSFORMERS && precision == Precision.EXACT) {
          continue;
        }
        ResolvedRope other;
        try {
          other = RopeResolver.resolve(model, length,
              RopeResolver.Options.DEFAULT.withSemantics(semantics).withPrecision(precision));
        } catch (RopeConfigException e) {
          out.add(new Difference(engine, Double.NaN, Double.NaN, Double.NaN, e.getMessage()));
          continue;
        }
        if (other.layers().size() != reference.layers().size()) {
          out.add(new Difference(engine, Double.NaN, Double.NaN, Double.NaN, other.layers().size()
              + " layer types where transformers has " + reference.layers().size()));
          continue;
        }
        out.add(difference(engine, reference, other, positions));
      }
    }
    return out;
  }

  /**
   * Every engine but the reference, for a model the reference refuses: what each resolves (rope type, rotary dim and
   * attention factor of each layer type) or why it refuses, one line each, in the fixed order.
   */
  static List<String> withoutReference(ModelConfig model, long length) {
    List<String> lines = new ArrayList<>();
    for (Semantics semantics : Semantics.values()) {
      for (Precision precision : Precision.values()) {
        Engine engine = new Engine(semantics, precision);
        if (semantics == Semantics.TRANSFORMERS && precision == Precision.EXACT) {
          continue;
        }
        String label = String.format(Locale.ROOT, "%-20s ", engine.label());
        try {
          ResolvedRope rope = RopeResolver.resolve(model, length,
              RopeResolver.Options.DEFAULT.withSemantics(semantics).withPrecision(precision));
          StringBuilder line = new StringBuilder(label).append("resolved:");
          for (LayerRope layer : rope.layers()) {
            line.append(String.format(Locale.ROOT, " %s%s rotary_dim %d attention factor %s;",
                layer.layerType() == null ? "" : layer.layerType() + " ", layer.ropeType(), layer.rotaryDim(),
                Double.toString(layer.attentionFactor())));
          }
          lines.add(line.substring(0, line.length() - 1));
        } catch (RopeConfigException e) {
          lines.add(label + "refused: " + e.getMessage());
        }
      }
    }
    return lines;
  }

  private static Difference difference(Engine engine, ResolvedRope reference, ResolvedRope other, long[] positions) {
    double invFreq = 0;
    double factor = 0;
    double cosSin = 0;
    for (int l = 0; l < reference.layers().size(); l++) {
      LayerRope a = reference.layers().get(l);
      LayerRope b = other.layers().get(l);
      if (a.rotaryDim() != b.rotaryDim()) {
        return new Difference(engine, Double.NaN, Double.NaN, Double.NaN, "rotary_dim " + b.rotaryDim()
            + " where transformers has " + a.rotaryDim() + (a.layerType() == null ? "" : " in " + a.layerType()));
      }
      for (int j = 0; j < a.rotaryDim() / 2; j++) {
        double wa = a.invFreq(j) / a.positionScale();
        double wb = b.invFreq(j) / b.positionScale();
        invFreq = Math.max(invFreq, Math.abs(wb - wa) / wa);
      }
      factor = Math.max(factor, Math.abs(b.attentionFactor() - a.attentionFactor()) / a.attentionFactor());
      cosSin = Math.max(cosSin, rowsDifference(a, reference.precision(), b, other.precision(), positions));
    }
    return new Difference(engine, invFreq, factor, cosSin, null);
  }

  private static double rowsDifference(LayerRope a, Precision pa, LayerRope b, Precision pb, long[] positions) {
    RopeTable ta = RopeTable.of(a, new TableOptions(Layout.VLLM, Dtype.F64, pa));
    RopeTable tb = RopeTable.of(b, new TableOptions(Layout.VLLM, Dtype.F64, pb));
    double worst = 0;
    for (long p : positions) {
      ByteBuffer ra = ta.rows(TablePart.COS_SIN, p, p + 1);
      ByteBuffer rb = tb.rows(TablePart.COS_SIN, p, p + 1);
      while (ra.hasRemaining()) {
        worst = Math.max(worst, Math.abs(ra.getDouble() - rb.getDouble()));
      }
    }
    return worst;
  }

  /** 0, 1, every 2^k - 1 and 2^k below L, L - 1, and seeded random positions: the same set on every run. */
  static long[] positions(long length) {
    TreeSet<Long> set = new TreeSet<>();
    set.add(0L);
    set.add(length - 1);
    for (long p = 1; p < length; p <<= 1) {
      set.add(p);
      set.add(p - 1);
    }
    SplittableRandom random = new SplittableRandom(length);
    for (int i = 0; i < RANDOM_POSITIONS; i++) {
      set.add(random.nextLong(length));
    }
    return set.stream().mapToLong(Long::longValue).toArray();
  }

  static String format(double value) {
    return value == 0 ? "0" : String.format(Locale.ROOT, "%.1e", value);
  }

  private static String modelId(Path config) {
    String name = config.getFileName().toString();
    if (name.equals("config.json") && config.toAbsolutePath().getParent() != null) {
      return config.toAbsolutePath().getParent().getFileName().toString();
    }
    return ConfigFile.stem(config);
  }
}
