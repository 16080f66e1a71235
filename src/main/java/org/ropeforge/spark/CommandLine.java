package org.ropeforge.spark;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.ropeforge.core.Precision;
import org.ropeforge.core.Semantics;
import org.ropeforge.spark.plan.Store;
import org.ropeforge.spark.plan.UnknownModelTypes;

/**
 * The {@code precompute} command line: job options, plus {@code --conf key=value}, {@code --master} and
 * {@code --properties-file} as spark-submit reads them, so that the embedded launcher and spark-submit accept
 * the same line.
 *
 * @param options job option values by key, as given (validated by {@link #jobOptions})
 * @param sparkConf {@code --conf} settings in order, {@code --master} as {@code spark.master}
 * @param propertiesFile a Spark properties file, or null
 * @param help whether usage was asked for
 */
public record CommandLine(
    Map<String, String> options, Map<String, String> sparkConf, String propertiesFile, boolean help) {

  public static final String USAGE = String.join("\n",
      "usage: jobs/ropeforge precompute [options]",
      "  --catalog URI               folder of <org>/<model>/config.json, or a JSON-lines manifest"
          + " (default " + JobOptions.CATALOG_DEFAULT + ")",
      "  --out URI                   output root (default " + JobOptions.OUT_DEFAULT + ")",
      "  --context-lengths L1,L2     for entries that name none (default: each model's own)",
      "  --precision exact|torch     (default " + JobOptions.PRECISION_DEFAULT.cliName() + ")",
      "  --semantics transformers|exllamav2|vllm (default " + JobOptions.SEMANTICS_DEFAULT.cliName() + ")",
      "  --layouts L1,L2             of half, neox, gptj, vllm, pairs (default "
          + JobOptions.LAYOUT_DEFAULT.cliName() + "); --layout L for one",
      "  --dtypes D1,D2              of f32, f16, bf16, f64 (default " + JobOptions.DTYPE_DEFAULT.cliName()
          + "); --dtype D for one. Each table is computed once and written in every layout and dtype",
      "  --formats safetensors,parquet (default both)",
      "  --store per-model|content-addressed  one file per model and length, or one per distinct table"
          + " (default " + JobOptions.STORE_DEFAULT.cliName() + ")",
      "  --parquet-tables on|off     the per-position Parquet dataset (default on)",
      "  --overwrite                 rewrite outputs the previous manifest shows as current",
      "  --unknown-model-types warn|refuse  a model_type outside the conformance table: resolve it by the"
          + " generic rules with a warning, or refuse it (default "
          + JobOptions.UNKNOWN_MODEL_TYPES_DEFAULT.cliName() + ")",
      "  --max-error-fraction F      exit 0 while error rows <= F of all rows (default 0)",
      "  --driver-plan-max-models N  plan catalogs of at most N models on the driver, larger ones on the"
          + " executors (default " + JobOptions.DRIVER_PLAN_MAX_MODELS_DEFAULT + "; 0: always the executors)",
      "  --gpu                       compute tables on GPUs: the table stage asks Spark for them (not in local mode)",
      "  --gpu-task-amount A         GPUs per table task, a share (at most 1) or whole (default 1)",
      "  --gpu-executor-amount N     GPUs per executor the job sets or requests (default 1)",
      "  --lease-timeout S           a lease on --out whose heartbeat is older than S seconds is a dead run's and"
          + " is taken over (default " + LeaseOptions.TIMEOUT_DEFAULT.toSeconds() + ")",
      "  --force-lease               take the lease on --out even from a run that looks alive",
      "  --conf key=value            Spark setting; spark.hadoop.* reach Hadoop (repeatable)",
      "  --properties-file FILE      Spark properties; spark.ropeforge.<option> sets a job option",
      "  --master URL                Spark master (default local[*] when none is configured)");

  private static final List<String> VALUED = List.of(JobOptions.CATALOG, JobOptions.OUT,
      JobOptions.CONTEXT_LENGTHS, JobOptions.PRECISION, JobOptions.SEMANTICS, JobOptions.LAYOUT,
      JobOptions.LAYOUTS, JobOptions.DTYPE, JobOptions.DTYPES, JobOptions.FORMATS, JobOptions.PARQUET_TABLES, JobOptions.MAX_ERROR_FRACTION, JobOptions.STORE,
      JobOptions.UNKNOWN_MODEL_TYPES, JobOptions.DRIVER_PLAN_MAX_MODELS,
      GpuOptions.TASK_AMOUNT, GpuOptions.EXECUTOR_AMOUNT, LeaseOptions.TIMEOUT);

  /** Options that are flags: present means on, {@code --flag=off} turns one off. */
  private static final List<String> FLAGS = List.of(JobOptions.OVERWRITE, GpuOptions.GPU, LeaseOptions.FORCE);

  public CommandLine {
    options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
    sparkConf = Collections.unmodifiableMap(new LinkedHashMap<>(sparkConf));
  }

  public static CommandLine parse(String... args) {
    Map<String, String> options = new LinkedHashMap<>();
    Map<String, String> conf = new LinkedHashMap<>();
    String propertiesFile = null;
    boolean help = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("-h") || arg.equals("--help")) {
        help = true;
        continue;
      }
      if (!arg.startsWith("--")) {
        throw new IllegalArgumentException("Unexpected argument '" + arg + "'");
      }
      String name = arg.substring(2);
      String value = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      if (FLAGS.contains(name)) {
        options.put(name, value == null ? "true" : value);
        continue;
      }
      boolean known = VALUED.contains(name) || name.equals("conf") || name.equals("master")
          || name.equals("properties-file");
      if (!known) {
        throw new IllegalArgumentException("Unknown option '--" + name + "'");
      }
      if (value == null) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("Option '--" + name + "' needs a value");
        }
        value = args[++i];
      }
      switch (name) {
        case "conf" -> {
          int sep = value.indexOf('=');
          if (sep <= 0) {
            throw new IllegalArgumentException("Option '--conf' needs key=value, got '" + value + "'");
          }
          conf.put(value.substring(0, sep), value.substring(sep + 1));
        }
        case "master" -> conf.put("spark.master", value);
        case "properties-file" -> propertiesFile = value;
        default -> options.put(name, value);
      }
    }
    return new CommandLine(options, conf, propertiesFile, help);
  }

  /**
   * The job options: command-line values first, then {@code spark.ropeforge.<key>} from the Spark
   * configuration, then the defaults of {@link JobOptions}.
   */
  public JobOptions jobOptions(Map<String, String> sparkSettings) {
    Map<String, String> values = values(sparkSettings);
    JobOptions d = JobOptions.DEFAULTS;
    String lengths = values.get(JobOptions.CONTEXT_LENGTHS);
    String formats = values.get(JobOptions.FORMATS);
    String fraction = values.get(JobOptions.MAX_ERROR_FRACTION);
    return new JobOptions(
        values.getOrDefault(JobOptions.CATALOG, d.catalog()),
        values.getOrDefault(JobOptions.OUT, d.out()),
        lengths == null ? d.contextLengths() : JobOptions.parseContextLengths(lengths),
        values.containsKey(JobOptions.PRECISION)
            ? Precision.parse(values.get(JobOptions.PRECISION)) : d.precision(),
        values.containsKey(JobOptions.SEMANTICS)
            ? Semantics.parse(values.get(JobOptions.SEMANTICS)) : d.semantics(),
        layouts(values, d),
        dtypes(values, d),
        formats == null ? d.formats() : JobOptions.parseFormats(formats),
        flag(JobOptions.PARQUET_TABLES, values.get(JobOptions.PARQUET_TABLES), d.parquetTables()),
        flag(JobOptions.OVERWRITE, values.get(JobOptions.OVERWRITE), d.overwrite()),
        fraction == null ? d.maxErrorFraction() : parseFraction(fraction),
        values.containsKey(JobOptions.STORE) ? Store.parse(values.get(JobOptions.STORE), JobOptions.STORE)
            : d.store(),
        values.containsKey(JobOptions.UNKNOWN_MODEL_TYPES)
            ? UnknownModelTypes.parse(values.get(JobOptions.UNKNOWN_MODEL_TYPES), JobOptions.UNKNOWN_MODEL_TYPES)
            : d.unknownModelTypes(),
        values.containsKey(JobOptions.DRIVER_PLAN_MAX_MODELS)
            ? JobOptions.parseDriverPlanMaxModels(values.get(JobOptions.DRIVER_PLAN_MAX_MODELS))
            : d.driverPlanMaxModels());
  }

  private static List<org.ropeforge.core.table.Layout> layouts(Map<String, String> values, JobOptions d) {
    String one = oneOf(values, JobOptions.LAYOUT, JobOptions.LAYOUTS);
    if (one != null) {
      return one.equals(JobOptions.LAYOUT) ? List.of(JobOptions.parseLayout(values.get(one)))
          : JobOptions.parseLayouts(one, values.get(one));
    }
    return d.layouts();
  }

  private static List<org.ropeforge.core.table.Dtype> dtypes(Map<String, String> values, JobOptions d) {
    String one = oneOf(values, JobOptions.DTYPE, JobOptions.DTYPES);
    if (one != null) {
      return one.equals(JobOptions.DTYPE) ? List.of(JobOptions.parseDtype(values.get(one)))
          : JobOptions.parseDtypes(one, values.get(one));
    }
    return d.dtypes();
  }

  /** Which of a single-value option and its list form is set, or null; both at once is refused. */
  private static String oneOf(Map<String, String> values, String single, String list) {
    if (values.containsKey(single) && values.containsKey(list)) {
      throw new IllegalArgumentException("Options '" + single + "' (" + values.get(single) + ") and '" + list
          + "' (" + values.get(list) + ") are both set; use '" + list + "' alone");
    }
    return values.containsKey(single) ? single : values.containsKey(list) ? list : null;
  }

  /** The lease options, from the same sources and in the same order as {@link #jobOptions}. */
  public LeaseOptions leaseOptions(Map<String, String> sparkSettings) {
    return LeaseOptions.parse(values(sparkSettings));
  }

  /** The GPU options, from the same sources and in the same order as {@link #jobOptions}. */
  public GpuOptions gpuOptions(Map<String, String> sparkSettings) {
    return GpuOptions.parse(values(sparkSettings));
  }

  private Map<String, String> values(Map<String, String> sparkSettings) {
    Map<String, String> values = new LinkedHashMap<>();
    sparkSettings.forEach((key, value) -> {
      if (key.startsWith(JobOptions.CONF_PREFIX)) {
        values.put(key.substring(JobOptions.CONF_PREFIX.length()), value);
      }
    });
    // A form (single or list) on the command line wins over either form in the Spark configuration.
    for (List<String> forms : List.of(List.of(JobOptions.LAYOUT, JobOptions.LAYOUTS),
        List.of(JobOptions.DTYPE, JobOptions.DTYPES))) {
      if (forms.stream().anyMatch(options::containsKey)) {
        forms.forEach(values::remove);
      }
    }
    values.putAll(options);
    for (String key : values.keySet()) {
      if (!VALUED.contains(key) && !FLAGS.contains(key)) {
        throw new IllegalArgumentException("Unknown job option '" + JobOptions.CONF_PREFIX + key + "'");
      }
    }
    return values;
  }

  private static String lower(String text) {
    return text.trim().toLowerCase(Locale.ROOT);
  }

  private static boolean flag(String key, String text, boolean fallback) {
    if (text == null) {
      return fallback;
    }
    return switch (lower(text)) {
      case "on", "true", "yes" -> true;
      case "off", "false", "no" -> false;
      default -> throw new IllegalArgumentException(
          "Option '" + key + "' is '" + text + "' but must be on or off");
    };
  }

  private static double parseFraction(String text) {
    try {
      return Double.parseDouble(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "Option '" + JobOptions.MAX_ERROR_FRACTION + "' is '" + text + "', which is not a number", e);
    }
  }
}
