package org.ropeforge.spark.plan;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.ropeforge.core.Precision;
import org.ropeforge.core.Semantics;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.core.table.TableOptions;

/**
 * The settings of a run that decide every output byte. Their {@link #fingerprintText() text} goes into each
 * output's input fingerprint and into the completion marker, and {@link #parse} reads it back, so that verify
 * re-derives outputs with the settings that made them.
 *
 * @param precision exact or torch
 * @param semantics whose interpretation of a config
 * @param layouts row layouts of the safetensors tables, in the order asked for, at least one, no duplicate
 * @param dtypes element types of the safetensors tables, likewise; each table is written in every layout and
 *     dtype ({@link #encodings()})
 * @param formats the outputs written, never empty
 * @param parquetTables whether the Parquet tables dataset is written (with the Parquet format)
 * @param store how table files are laid out
 */
public record OutputSettings(Precision precision, Semantics semantics, List<Layout> layouts, List<Dtype> dtypes,
    Set<OutputFormat> formats, boolean parquetTables, Store store) implements Serializable {
  private static final long serialVersionUID = 2L;

  private static final String PRECISION = "precision";
  private static final String SEMANTICS = "semantics";
  private static final String LAYOUT = "layout";
  private static final String DTYPE = "dtype";
  private static final String FORMATS = "formats";
  private static final String PARQUET_TABLES = "parquet-tables";
  private static final String STORE = "store";

  public OutputSettings {
    Objects.requireNonNull(precision, PRECISION);
    Objects.requireNonNull(semantics, SEMANTICS);
    layouts = distinct(layouts, LAYOUT, Layout::cliName);
    dtypes = distinct(dtypes, DTYPE, Dtype::cliName);
    Objects.requireNonNull(store, STORE);
    if (formats.isEmpty()) {
      throw new IllegalArgumentException("Option '" + FORMATS + "' names no format");
    }
    formats = Set.copyOf(EnumSet.copyOf(formats));
  }

  /** Settings of one layout and one dtype. */
  public OutputSettings(Precision precision, Semantics semantics, Layout layout, Dtype dtype,
      Set<OutputFormat> formats, boolean parquetTables, Store store) {
    this(precision, semantics, List.of(Objects.requireNonNull(layout, LAYOUT)),
        List.of(Objects.requireNonNull(dtype, DTYPE)), formats, parquetTables, store);
  }

  private static <T> List<T> distinct(List<T> values, String what, Function<T, String> name) {
    Objects.requireNonNull(values, what);
    if (values.isEmpty()) {
      throw new IllegalArgumentException("Option '" + what + "s' names no " + what);
    }
    Set<T> seen = new HashSet<>();
    for (T value : values) {
      Objects.requireNonNull(value, what);
      if (!seen.add(value)) {
        throw new IllegalArgumentException("Option '" + what + "s' names " + what + " '" + name.apply(value)
            + "' twice");
      }
    }
    return List.copyOf(values);
  }

  /** Every (layout, dtype) of the run, layouts outer, each in the order asked for. */
  public List<Encoding> encodings() {
    List<Encoding> encodings = new ArrayList<>(layouts.size() * dtypes.size());
    for (Layout layout : layouts) {
      for (Dtype dtype : dtypes) {
        encodings.add(new Encoding(layout, dtype));
      }
    }
    return encodings;
  }

  /**
   * Whether the run writes more than one layout or dtype: its paths and rows then name the form of each output
   * (a run of one keeps the paths and rows of the runs before several existed).
   */
  public boolean severalEncodings() {
    return layouts.size() * dtypes.size() > 1;
  }

  /** The one (layout, dtype) of a run of one; IllegalStateException for a run of several. */
  public Encoding onlyEncoding() {
    if (severalEncodings()) {
      throw new IllegalStateException("A run of " + encodings() + " has no single layout and dtype");
    }
    return new Encoding(layouts.get(0), dtypes.get(0));
  }

  /** The settings of one form of this run: what decides the bytes of that form's outputs, and their fingerprint. */
  public OutputSettings forEncoding(Encoding encoding) {
    if (!layouts.contains(encoding.layout()) || !dtypes.contains(encoding.dtype())) {
      throw new IllegalArgumentException("Form " + encoding + " is not one of the run's " + encodings());
    }
    return new OutputSettings(precision, semantics, encoding.layout(), encoding.dtype(), formats, parquetTables,
        store);
  }

  public boolean writesSafetensors() {
    return formats.contains(OutputFormat.SAFETENSORS);
  }

  public boolean writesParquet() {
    return formats.contains(OutputFormat.PARQUET);
  }

  public boolean writesParquetTables() {
    return writesParquet() && parquetTables;
  }

  /** How the safetensors tables of one form are computed and stored. */
  public TableOptions tableOptions(Encoding encoding) {
    return new TableOptions(encoding.layout(), encoding.dtype(), precision);
  }

  /** Format names in name order, as the fingerprint and the completion marker list them. */
  public List<String> sortedFormatNames() {
    return formats.stream().map(OutputFormat::cliName).sorted().toList();
  }

  /**
   * {@code precision=..;semantics=..;layout=..;dtype=..;formats=a,b;parquet-tables=..}, then
   * {@code ;store=content-addressed} for that store only, so that a per-model run's fingerprints are those of
   * the runs before stores existed. A run of several forms lists them, {@code layout=half,vllm;dtype=f32,bf16};
   * each output's fingerprint takes the text of its own form ({@link #forEncoding}), the same as a run of that
   * form alone.
   */
  public String fingerprintText() {
    String text = String.join(";", PRECISION + "=" + precision.cliName(), SEMANTICS + "=" + semantics.cliName(),
        LAYOUT + "=" + names(layouts, Layout::cliName), DTYPE + "=" + names(dtypes, Dtype::cliName),
        FORMATS + "=" + String.join(",", sortedFormatNames()), PARQUET_TABLES + "=" + writesParquetTables());
    return store == Store.PER_MODEL ? text : text + ";" + STORE + "=" + store.cliName();
  }

  private static <T> String names(List<T> values, Function<T, String> name) {
    return values.stream().map(name).collect(Collectors.joining(","));
  }

  public boolean contentAddressed() {
    return store == Store.CONTENT_ADDRESSED;
  }

  /** The settings a {@link #fingerprintText()} describes; IllegalArgumentException when one is missing. */
  public static OutputSettings parse(String text) {
    Map<String, String> values = new HashMap<>();
    for (String part : text.split(";")) {
      int eq = part.indexOf('=');
      if (eq > 0) {
        values.put(part.substring(0, eq), part.substring(eq + 1));
      }
    }
    for (String key : List.of(PRECISION, SEMANTICS, LAYOUT, DTYPE, FORMATS)) {
      if (!values.containsKey(key)) {
        throw new IllegalArgumentException("options '" + text + "' have no " + key);
      }
    }
    Set<OutputFormat> formats = Arrays.stream(values.get(FORMATS).split(","))
        .map(name -> OutputFormat.parse(name, FORMATS)).collect(Collectors.toSet());
    return new OutputSettings(Precision.parse(values.get(PRECISION)), Semantics.parse(values.get(SEMANTICS)),
        Arrays.stream(values.get(LAYOUT).split(",")).map(Layout::parse).toList(),
        Arrays.stream(values.get(DTYPE).split(",")).map(Dtype::parse).toList(), formats,
        Boolean.parseBoolean(values.get(PARQUET_TABLES)),
        values.containsKey(STORE) ? Store.parse(values.get(STORE), STORE) : Store.PER_MODEL);
  }
}
