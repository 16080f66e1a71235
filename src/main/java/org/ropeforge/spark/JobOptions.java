package org.ropeforge.spark;

import java.io.Serializable;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.ropeforge.config.CatalogManifest;
import org.ropeforge.core.Precision;
import org.ropeforge.core.Semantics;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.spark.plan.OutputFormat;
import org.ropeforge.spark.plan.OutputSettings;
import org.ropeforge.spark.plan.Store;
import org.ropeforge.spark.plan.UnknownModelTypes;

/**
 * The options of {@code precompute}. Each option has a key, used as {@code --key} on the command line and as
 * {@code spark.ropeforge.key} in a Spark properties file, next to its default. Values are typed from the command
 * line on; the stages get the parts they need ({@link #settings()}, the lengths).
 */
public record JobOptions(
    String catalog,
    String out,
    long[] contextLengths,
    Precision precision,
    Semantics semantics,
    List<Layout> layouts,
    List<Dtype> dtypes,
    Set<OutputFormat> formats,
    boolean parquetTables,
    boolean overwrite,
    double maxErrorFraction,
    Store store,
    UnknownModelTypes unknownModelTypes,
    long driverPlanMaxModels)
    implements Serializable {

  /** Prefix of the option keys inside a Spark configuration or properties file. */
  public static final String CONF_PREFIX = "spark.ropeforge.";

  /** Catalog: a folder tree of {@code config.json} files, or a JSON-lines manifest; any Hadoop URI. */
  public static final String CATALOG = "catalog";

  public static final String CATALOG_DEFAULT = "conf/sample-catalog";

  /** Output root; any Hadoop URI. */
  public static final String OUT = "out";

  public static final String OUT_DEFAULT = "out";

  /** Comma-separated context lengths for models whose catalog entry names none. */
  public static final String CONTEXT_LENGTHS = "context-lengths";

  /** No list: each model's own {@code ModelConfig.defaultContextLengths()}. */
  public static final long[] CONTEXT_LENGTHS_DEFAULT = null;

  public static final String PRECISION = "precision";

  public static final Precision PRECISION_DEFAULT = Precision.EXACT;

  public static final String SEMANTICS = "semantics";

  public static final Semantics SEMANTICS_DEFAULT = Semantics.TRANSFORMERS;

  /** Column order of a table row; see the README's safetensors section. One layout: {@link #LAYOUTS} of one. */
  public static final String LAYOUT = "layout";

  public static final Layout LAYOUT_DEFAULT = Layout.HALF;

  /** Comma-separated layouts: every table is written in each (and each of {@link #DTYPES}), computed once. */
  public static final String LAYOUTS = "layouts";

  /** Element type of the safetensors tables. One dtype: {@link #DTYPES} of one. */
  public static final String DTYPE = "dtype";

  public static final Dtype DTYPE_DEFAULT = Dtype.F32;

  /** Comma-separated dtypes, written in every layout of {@link #LAYOUTS}. */
  public static final String DTYPES = "dtypes";

  /** Comma-separated subset of {@link OutputFormat}'s names. */
  public static final String FORMATS = "formats";

  public static final Set<OutputFormat> FORMATS_DEFAULT = Set.of(OutputFormat.SAFETENSORS, OutputFormat.PARQUET);

  /** Whether the Parquet output includes the (large) tables dataset, or only the parameters. */
  public static final String PARQUET_TABLES = "parquet-tables";

  public static final boolean PARQUET_TABLES_DEFAULT = true;

  /** Rewrite outputs even where the previous manifest shows them complete and current. */
  public static final String OVERWRITE = "overwrite";

  public static final boolean OVERWRITE_DEFAULT = false;

  /** Largest share of error rows in the manifest for which the run still exits with 0. */
  public static final String MAX_ERROR_FRACTION = "max-error-fraction";

  public static final double MAX_ERROR_FRACTION_DEFAULT = 0.0;

  /** How table files are laid out: {@code per-model} or {@code content-addressed}. */
  public static final String STORE = "store";

  public static final Store STORE_DEFAULT = Store.PER_MODEL;

  /** A model whose model_type is not in the conformance table: {@code warn} (resolve it) or {@code refuse}. */
  public static final String UNKNOWN_MODEL_TYPES = "unknown-model-types";

  public static final UnknownModelTypes UNKNOWN_MODEL_TYPES_DEFAULT = UnknownModelTypes.WARN;

  /**
   * Catalogs of at most this many models are planned on the driver: their planned outputs and outcomes are few
   * enough to collect, which spares the plan's shuffle and the manifest's sort several Spark jobs whose fixed cost,
   * at a few hundred models, is most of the run. 0 plans every catalog on the executors.
   */
  public static final String DRIVER_PLAN_MAX_MODELS = "driver-plan-max-models";

  /** About 6,000 outputs at the usual three lengths: a few MB of planned outputs and outcomes on the driver. */
  public static final long DRIVER_PLAN_MAX_MODELS_DEFAULT = 2_000;

  public static final JobOptions DEFAULTS =
      new JobOptions(CATALOG_DEFAULT, OUT_DEFAULT, CONTEXT_LENGTHS_DEFAULT, PRECISION_DEFAULT,
          SEMANTICS_DEFAULT, List.of(LAYOUT_DEFAULT), List.of(DTYPE_DEFAULT), FORMATS_DEFAULT, PARQUET_TABLES_DEFAULT,
          OVERWRITE_DEFAULT, MAX_ERROR_FRACTION_DEFAULT, STORE_DEFAULT, UNKNOWN_MODEL_TYPES_DEFAULT,
          DRIVER_PLAN_MAX_MODELS_DEFAULT);

  /** Options of the default store, today's per-model layout. */
  public JobOptions(String catalog, String out, long[] contextLengths, Precision precision, Semantics semantics,
      Layout layout, Dtype dtype, Set<OutputFormat> formats, boolean parquetTables, boolean overwrite,
      double maxErrorFraction) {
    this(catalog, out, contextLengths, precision, semantics, layout, dtype, formats, parquetTables, overwrite,
        maxErrorFraction, STORE_DEFAULT);
  }

  /** Options that resolve unknown model types with a warning, as by default. */
  public JobOptions(String catalog, String out, long[] contextLengths, Precision precision, Semantics semantics,
      Layout layout, Dtype dtype, Set<OutputFormat> formats, boolean parquetTables, boolean overwrite,
      double maxErrorFraction, Store store) {
    this(catalog, out, contextLengths, precision, semantics, layout, dtype, formats, parquetTables, overwrite,
        maxErrorFraction, store, UNKNOWN_MODEL_TYPES_DEFAULT);
  }

  /** Options of one layout and one dtype. */
  public JobOptions(String catalog, String out, long[] contextLengths, Precision precision, Semantics semantics,
      Layout layout, Dtype dtype, Set<OutputFormat> formats, boolean parquetTables, boolean overwrite,
      double maxErrorFraction, Store store, UnknownModelTypes unknownModelTypes) {
    this(catalog, out, contextLengths, precision, semantics, List.of(layout), List.of(dtype), formats,
        parquetTables, overwrite, maxErrorFraction, store, unknownModelTypes);
  }

  /** Options that plan small catalogs on the driver, as by default. */
  public JobOptions(String catalog, String out, long[] contextLengths, Precision precision, Semantics semantics,
      List<Layout> layouts, List<Dtype> dtypes, Set<OutputFormat> formats, boolean parquetTables, boolean overwrite,
      double maxErrorFraction, Store store, UnknownModelTypes unknownModelTypes) {
    this(catalog, out, contextLengths, precision, semantics, layouts, dtypes, formats, parquetTables, overwrite,
        maxErrorFraction, store, unknownModelTypes, DRIVER_PLAN_MAX_MODELS_DEFAULT);
  }

  public JobOptions {
    if (catalog == null || catalog.isBlank()) {
      throw new IllegalArgumentException("Option '" + CATALOG + "' must name a folder or a manifest");
    }
    if (out == null || out.isBlank()) {
      throw new IllegalArgumentException("Option '" + OUT + "' must name an output folder");
    }
    if (contextLengths != null) {
      contextLengths = contextLengths.clone();
      if (contextLengths.length == 0) {
        throw new IllegalArgumentException("Option '" + CONTEXT_LENGTHS + "' is empty");
      }
      for (long length : contextLengths) {
        checkContextLength(length);
      }
    }
    // The settings' own checks are the options' checks for these values.
    OutputSettings checked = new OutputSettings(precision, semantics, layouts, dtypes, formats, parquetTables, store);
    layouts = checked.layouts();
    dtypes = checked.dtypes();
    formats = checked.formats();
    if (!(maxErrorFraction >= 0 && maxErrorFraction <= 1)) { // not (< 0 || > 1), so that NaN fails
      throw new IllegalArgumentException(
          "Option '" + MAX_ERROR_FRACTION + "' is " + maxErrorFraction + " but must be in [0, 1]");
    }
    if (driverPlanMaxModels < 0) {
      throw new IllegalArgumentException(
          "Option '" + DRIVER_PLAN_MAX_MODELS + "' is " + driverPlanMaxModels + " but must be 0 or more");
    }
  }

  static void checkContextLength(long length) {
    String problem = CatalogManifest.contextLengthProblem(length);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
  }

  @Override
  public long[] contextLengths() {
    return contextLengths == null ? null : contextLengths.clone();
  }

  /** The same options with other catalog and output locations. */
  public JobOptions withLocations(String newCatalog, String newOut) {
    return new JobOptions(newCatalog, newOut, contextLengths, precision, semantics, layouts, dtypes, formats,
        parquetTables, overwrite, maxErrorFraction, store, unknownModelTypes, driverPlanMaxModels);
  }

  /** The same options with another {@link #DRIVER_PLAN_MAX_MODELS}. */
  public JobOptions withDriverPlanMaxModels(long maxModels) {
    return new JobOptions(catalog, out, contextLengths, precision, semantics, layouts, dtypes, formats,
        parquetTables, overwrite, maxErrorFraction, store, unknownModelTypes, maxModels);
  }

  /** A whole number of models, 0 or more. */
  static long parseDriverPlanMaxModels(String text) {
    try {
      return Long.parseLong(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("Option '" + DRIVER_PLAN_MAX_MODELS + "' is '" + text
          + "', which is not a whole number of models", e);
    }
  }

  /** The lengths for entries that name none, empty for each model's own. */
  public List<Long> defaultContextLengths() {
    return contextLengths == null ? List.of() : Arrays.stream(contextLengths).boxed().toList();
  }

  /** The settings that decide every output byte. */
  public OutputSettings settings() {
    return new OutputSettings(precision, semantics, layouts, dtypes, formats, parquetTables, store);
  }

  public boolean writesSafetensors() {
    return formats.contains(OutputFormat.SAFETENSORS);
  }

  public boolean writesParquet() {
    return formats.contains(OutputFormat.PARQUET);
  }

  static Set<OutputFormat> parseFormats(String text) {
    Set<OutputFormat> formats = new LinkedHashSet<>();
    for (String part : text.split(",", -1)) {
      formats.add(OutputFormat.parse(part, FORMATS));
    }
    return formats;
  }

  public static long[] parseContextLengths(String text) {
    String[] parts = text.split(",", -1);
    long[] lengths = new long[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        lengths[i] = Long.parseLong(parts[i].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "Option '" + CONTEXT_LENGTHS + "' has '" + parts[i] + "', which is not an integer", e);
      }
    }
    return lengths;
  }

  static Layout parseLayout(String text) {
    return parseChoice(LAYOUT, text, Layout::parse, layoutNames());
  }

  static Dtype parseDtype(String text) {
    return parseChoice(DTYPE, text, Dtype::parse, dtypeNames());
  }

  /** A comma-separated list of {@code option} (layouts): no empty item, none twice. */
  public static List<Layout> parseLayouts(String option, String text) {
    return parseList(option, text, Layout::parse, layoutNames());
  }

  /** A comma-separated list of {@code option} (dtypes): no empty item, none twice. */
  public static List<Dtype> parseDtypes(String option, String text) {
    return parseList(option, text, Dtype::parse, dtypeNames());
  }

  private static List<String> layoutNames() {
    return Arrays.stream(Layout.values()).map(Layout::cliName).toList();
  }

  private static List<String> dtypeNames() {
    return Arrays.stream(Dtype.values()).map(Dtype::cliName).toList();
  }

  private static <T> List<T> parseList(String option, String text, Function<String, T> parse, List<String> names) {
    Set<T> values = new LinkedHashSet<>();
    for (String part : text.split(",", -1)) {
      if (part.isBlank()) {
        throw new IllegalArgumentException("Option '" + option + "' is '" + text + "', which has an empty item");
      }
      T value;
      try {
        value = parse.apply(part.trim());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("Option '" + option + "' is '" + text + "', whose '" + part.trim()
            + "' is not one of " + String.join(", ", names), e);
      }
      if (!values.add(value)) {
        throw new IllegalArgumentException("Option '" + option + "' is '" + text + "', which names '"
            + part.trim() + "' twice");
      }
    }
    return List.copyOf(values);
  }

  private static <T> T parseChoice(String option, String text, Function<String, T> parse, List<String> names) {
    try {
      return parse.apply(text.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Option '" + option + "' is '" + text + "' but must be one of "
          + String.join(", ", names), e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof JobOptions other
        && catalog.equals(other.catalog)
        && out.equals(other.out)
        && Arrays.equals(contextLengths, other.contextLengths)
        && precision == other.precision
        && semantics == other.semantics
        && layouts.equals(other.layouts)
        && dtypes.equals(other.dtypes)
        && formats.equals(other.formats)
        && parquetTables == other.parquetTables
        && overwrite == other.overwrite
        && Double.compare(maxErrorFraction, other.maxErrorFraction) == 0
        && store == other.store
        && unknownModelTypes == other.unknownModelTypes;
  }

  @Override
  public int hashCode() {
    return 31 * Objects.hash(catalog, out, precision, semantics, layouts, dtypes, formats, parquetTables,
        overwrite, maxErrorFraction, store, unknownModelTypes) + Arrays.hashCode(contextLengths);
  }
}
