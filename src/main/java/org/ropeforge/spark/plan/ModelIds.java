package org.ropeforge.spark.plan;

/**
 * Which model ids may become output paths. A model id is written below {@code <out>/safetensors/} and in
 * Parquet partition values, so one that could climb out of the output root, or that a filesystem or a URI
 * parser would read differently from what was written, is rejected.
 */
public final class ModelIds {
  /** Longer ids are refused: far beyond any hub id, and path components have length limits. */
  public static final int MAX_LENGTH = 512;

  private ModelIds() {}

  /** Null when {@code id} is safe, else the reason it is not. */
  public static String problem(String id) {
    if (id == null || id.isEmpty()) {
      return "is empty";
    }
    if (id.length() > MAX_LENGTH) {
      return "is longer than " + MAX_LENGTH + " characters";
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
        return "contains control character U+" + String.format("%04X", (int) c);
      }
      // '\' separates folders on some filesystems, ':' starts a URI scheme in Hadoop paths, and '%' would be
      // unescaped by Parquet partition discovery; none of them occurs in hub ids.
      if (c == '\\' || c == ':' || c == '%') {
        return "contains '" + c + "'";
      }
    }
    if (id.startsWith("/")) {
      return "is absolute";
    }
    for (String segment : id.split("/", -1)) {
      if (segment.isEmpty()) {
        return "has an empty path segment";
      }
      if (segment.equals(".") || segment.equals("..")) {
        return "has a '" + segment + "' path segment";
      }
      if (segment.startsWith(".") || segment.startsWith("_")) {
        // Hadoop and Spark readers treat names starting with '.' or '_' as hidden files.
        return "has a path segment starting with '" + segment.charAt(0) + "'";
      }
    }
    return null;
  }
}
