package org.ropeforge.spark;

/** Where each output lives below the output root. Model ids are checked by {@link ModelIds} first. */
final class OutputPaths {
  static final String SAFETENSORS = "safetensors";
  static final String MANIFEST = "manifest.jsonl";
  static final String PARAMS = "parquet/params";
  static final String TABLES = "parquet/tables";
  /** Written last; its presence says the manifest and every output it lists are complete. */
  static final String COMPLETE_MARKER = "_ROPEFORGE_COMPLETE";

  private OutputPaths() {}

  static String safetensors(String modelId, long contextLength) {
    return SAFETENSORS + "/" + modelId + "/rope-" + contextLength + ".safetensors";
  }
}
