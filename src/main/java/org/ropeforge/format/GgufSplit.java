package org.ropeforge.format;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The file names of a split GGUF model, as llama.cpp's gguf-split and the gguf package write them:
 * {@code <stem>-00001-of-00003.gguf}, one shard per number, each with the metadata {@code split.no} (0-based),
 * {@code split.count} and {@code split.tensors.count}. The first shard carries the model's metadata; any shard
 * may hold the rope tensors.
 */
public final class GgufSplit {
  public static final String SPLIT_NO = "split.no";
  public static final String SPLIT_COUNT = "split.count";
  public static final String SPLIT_TENSORS_COUNT = "split.tensors.count";
  /** gguf-split writes the numbers with five digits, so no split has more shards. */
  public static final int MAX_SHARDS = 99_999;

  private static final Pattern SHARD = Pattern.compile("(.+)-(\\d{5})-of-(\\d{5})(\\.(?i:gguf))");

  private GgufSplit() {}

  /**
   * A shard's file name taken apart.
   *
   * @param stem the name before {@code -NNNNN-of-MMMMM.gguf}, which is the model's
   * @param number the shard's number, from 1
   * @param count the split's shard count
   * @param extension the extension as written ({@code .gguf} in any case)
   */
  public record ShardName(String stem, int number, int count, String extension) {
    /** The shard name of {@code fileName}, or null when it is not one (a number 0 or past the count is not). */
    public static ShardName parse(String fileName) {
      Matcher m = SHARD.matcher(fileName);
      if (!m.matches()) {
        return null;
      }
      int number = Integer.parseInt(m.group(2));
      int count = Integer.parseInt(m.group(3));
      return number < 1 || number > count ? null : new ShardName(m.group(1), number, count, m.group(4));
    }

    /** The file name of shard {@code n} of the same split. */
    public String fileName(int n) {
      return String.format(Locale.ROOT, "%s-%05d-of-%05d%s", stem, n, count, extension);
    }

    public boolean first() {
      return number == 1;
    }
  }
}
