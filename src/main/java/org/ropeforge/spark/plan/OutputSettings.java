package org.ropeforge.spark.plan;

import java.io.Serializable;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
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
 * @param layout row layout of the safetensors tables
 * @param dtype element type of the safetensors tables
 * @param formats the outputs written, never empty
 * @param parquetTables whether the Parquet tables dataset is written (with the Parquet format)
 * @param store how table files are laid out
 */
public record OutputSettings(Precision precision, Semantics semantics, Layout layout, Dtype dtype,
    Set<OutputFormat> formats, boolean parquetTables, Store store) implements Serializable {
  private static final long serialVersionUID = 1L;

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
    Objects.requireNonNull(layout, LAYOUT);
    Objects.requireNonNull(dtype, DTYPE);
    Objects.requireNonNull(store, STORE);
    if (formats.isEmpty()) {
      throw new IllegalArgumentException("Option '" + FORMATS + "' names no format");
    }
    formats = Set.copyOf(EnumSet.copyOf(formats));
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

  /** How the safetensors tables are computed and stored. */
  public TableOptions tableOptions() {
    return new TableOptions(layout, dtype, precision);
  }

  /** Format names in name order, as the fingerprint and the completion marker list them. */
  public List<String> sortedFormatNames() {
    return formats.stream().map(OutputFormat::cliName).sorted().toList();
  }

  /**
   * {@code precision=..;semantics=..;layout=..;dtype=..;formats=a,b;parquet-tables=..}, then
   * {@code ;store=content-addressed} for that store only, so that a per-model run's fingerprints are those of
   * the runs before stores existed.
   */
  public String fingerprintText() {
    String text = String.join(";", PRECISION + "=" + precision.cliName(), SEMANTICS + "=" + semantics.cliName(),
        LAYOUT + "=" + layout.cliName(), DTYPE + "=" + dtype.cliName(),
        FORMATS + "=" + String.join(",", sortedFormatNames()), PARQUET_TABLES + "=" + writesParquetTables());
    return store == Store.PER_MODEL ? text : text + ";" + STORE + "=" + store.cliName();
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
    Set<OutputFormat> formats = java.util.Arrays.stream(values.get(FORMATS).split(","))
        .map(name -> OutputFormat.parse(name, FORMATS)).collect(Collectors.toSet());
    return new OutputSettings(Precision.parse(values.get(PRECISION)), Semantics.parse(values.get(SEMANTICS)),
        Layout.parse(values.get(LAYOUT)), Dtype.parse(values.get(DTYPE)), formats,
        Boolean.parseBoolean(values.get(PARQUET_TABLES)),
        values.containsKey(STORE) ? Store.parse(values.get(STORE), STORE) : Store.PER_MODEL);
  }
}
