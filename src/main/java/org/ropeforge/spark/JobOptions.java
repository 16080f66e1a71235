package org.ropeforge.spark;

import java.io.Serializable;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.ropeforge.core.Precision;
import org.ropeforge.core.Semantics;

/**
 * The options of {@code precompute}. Each option has a key, used as {@code --key} on the command line and as
 * {@code spark.ropeforge.key} in a Spark properties file, next to its default.
 */
public record JobOptions(
    String catalog,
    String out,
    long[] contextLengths,
    Precision precision,
    Semantics semantics,
    String layout,
    String dtype,
    Set<String> formats,
    boolean parquetTables,
    boolean overwrite,
    double maxErrorFraction)
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

  /** Column order of a table row; see the README's safetensors section. */
  public static final String LAYOUT = "layout";

  public static final String LAYOUT_DEFAULT = "half";

  public static final List<String> LAYOUTS = List.of("half", "neox", "gptj", "vllm");

  /** Element type of the safetensors tables. */
  public static final String DTYPE = "dtype";

  public static final String DTYPE_DEFAULT = "f32";

  public static final List<String> DTYPES = List.of("f32", "f16", "bf16", "f64");

  /** Comma-separated subset of {@link #FORMATS_ALL}. */
  public static final String FORMATS = "formats";

  public static final String FORMAT_SAFETENSORS = "safetensors";

  public static final String FORMAT_PARQUET = "parquet";

  public static final List<String> FORMATS_ALL = List.of(FORMAT_SAFETENSORS, FORMAT_PARQUET);

  public static final Set<String> FORMATS_DEFAULT = Set.of(FORMAT_SAFETENSORS, FORMAT_PARQUET);

  /** Whether the Parquet output includes the (large) tables dataset, or only the parameters. */
  public static final String PARQUET_TABLES = "parquet-tables";

  public static final boolean PARQUET_TABLES_DEFAULT = true;

  /** Rewrite outputs even where the previous manifest shows them complete and current. */
  public static final String OVERWRITE = "overwrite";

  public static final boolean OVERWRITE_DEFAULT = false;

  /** Largest share of error rows in the manifest for which the run still exits with 0. */
  public static final String MAX_ERROR_FRACTION = "max-error-fraction";

  public static final double MAX_ERROR_FRACTION_DEFAULT = 0.0;

  public static final JobOptions DEFAULTS =
      new JobOptions(CATALOG_DEFAULT, OUT_DEFAULT, CONTEXT_LENGTHS_DEFAULT, PRECISION_DEFAULT,
          SEMANTICS_DEFAULT, LAYOUT_DEFAULT, DTYPE_DEFAULT, FORMATS_DEFAULT, PARQUET_TABLES_DEFAULT,
          OVERWRITE_DEFAULT, MAX_ERROR_FRACTION_DEFAULT);

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
    if (!LAYOUTS.contains(layout)) {
      throw new IllegalArgumentException(
          "Option '" + LAYOUT + "' is '" + layout + "' but must be one of " + String.join(", ", LAYOUTS));
    }
    if (!DTYPES.contains(dtype)) {
      throw new IllegalArgumentException(
          "Option '" + DTYPE + "' is '" + dtype + "' but must be one of " + String.join(", ", DTYPES));
    }
    formats = Set.copyOf(formats);
    if (formats.isEmpty()) {
      throw new IllegalArgumentException("Option '" + FORMATS + "' names no format");
    }
    for (String format : formats) {
      if (!FORMATS_ALL.contains(format)) {
        throw new IllegalArgumentException("Option '" + FORMATS + "' has '" + format + "' but must be from "
            + String.join(", ", FORMATS_ALL));
      }
    }
    if (!(maxErrorFraction >= 0 && maxErrorFraction <= 1)) { // not (< 0 || > 1), so that NaN fails
      throw new IllegalArgumentException(
          "Option '" + MAX_ERROR_FRACTION + "' is " + maxErrorFraction + " but must be in [0, 1]");
    }
  }

  /** The largest context length accepted; a table of more rows than an int can count is not a table. */
  public static final long MAX_CONTEXT_LENGTH = 1L << 30;

  static void checkContextLength(long length) {
    if (length < 1 || length > MAX_CONTEXT_LENGTH) {
      throw new IllegalArgumentException(
          "Context length " + length + " must be >= 1 and <= " + MAX_CONTEXT_LENGTH);
    }
  }

  @Override
  public long[] contextLengths() {
    return contextLengths == null ? null : contextLengths.clone();
  }

  public boolean writesSafetensors() {
    return formats.contains(FORMAT_SAFETENSORS);
  }

  public boolean writesParquet() {
    return formats.contains(FORMAT_PARQUET);
  }

  /** The settings that decide every output byte; part of each output's fingerprint. */
  String fingerprintText() {
    return String.join(";", "precision=" + precision.cliName(), "semantics=" + semantics.cliName(),
        "layout=" + layout, "dtype=" + dtype, "formats=" + String.join(",", sortedFormats()),
        "parquet-tables=" + (writesParquet() && parquetTables));
  }

  List<String> sortedFormats() {
    return formats.stream().sorted().toList();
  }

  static Set<String> parseFormats(String text) {
    Set<String> formats = new LinkedHashSet<>();
    for (String part : text.split(",", -1)) {
      formats.add(part.trim().toLowerCase(Locale.ROOT));
    }
    return formats;
  }

  static long[] parseContextLengths(String text) {
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

  @Override
  public boolean equals(Object o) {
    return o instanceof JobOptions other
        && catalog.equals(other.catalog)
        && out.equals(other.out)
        && Arrays.equals(contextLengths, other.contextLengths)
        && precision == other.precision
        && semantics == other.semantics
        && layout.equals(other.layout)
        && dtype.equals(other.dtype)
        && formats.equals(other.formats)
        && parquetTables == other.parquetTables
        && overwrite == other.overwrite
        && Double.compare(maxErrorFraction, other.maxErrorFraction) == 0;
  }

  @Override
  public int hashCode() {
    return 31 * java.util.Objects.hash(catalog, out, precision, semantics, layout, dtype, formats,
        parquetTables, overwrite, maxErrorFraction) + Arrays.hashCode(contextLengths);
  }
}
