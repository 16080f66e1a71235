package org.ropeforge.spark.output;

/** Where each output lives below the output root. Model ids are checked by the plan's ModelIds first. */
public final class OutputPaths {
  public static final String SAFETENSORS = "safetensors";
  /** The folder of the content-addressed store's table files. */
  public static final String TABLE_FILES = "tables";
  public static final String MANIFEST = "manifest.jsonl";
  public static final String PARAMS = "parquet/params";
  public static final String TABLES = "parquet/tables";
  /** Written last; its presence says the manifest and every output it lists are complete. */
  public static final String COMPLETE_MARKER = "_ROPEFORGE_COMPLETE";

  private OutputPaths() {}

  /** A table file of the content-addressed store, named by its content key. */
  public static String tableFile(String contentKey) {
    return TABLE_FILES + "/" + contentKey + ".safetensors";
  }

  public static String safetensors(String modelId, long contextLength) {
    return SAFETENSORS + "/" + modelId + "/rope-" + contextLength + ".safetensors";
  }

  /**
   * The file of (model, length) in one form: {@code rope-<length>.safetensors} in a run of one layout and dtype
   * ({@code encoding} null), {@code rope-<length>-<layout>-<dtype>.safetensors} in a run of several.
   */
  public static String safetensors(String modelId, long contextLength, String encoding) {
    return encoding == null ? safetensors(modelId, contextLength)
        : SAFETENSORS + "/" + modelId + "/rope-" + contextLength + "-" + encoding + ".safetensors";
  }
}
