package org.ropeforge.config;

import java.io.IOException;
import java.io.InputStream;
import org.ropeforge.io.Sha256;

/**
 * The bytes of one config.json, read with a bound, and their SHA-256: the one place for the size limit and for
 * the config hash that the manifest, the Parquet params and every safetensors file record.
 *
 * @param bytes the config as read
 * @param sha256 lower-case hex SHA-256 of {@code bytes}
 */
public record ConfigBytes(byte[] bytes, String sha256) {
  /** Configs are a few KB; anything this large is not one, and is not read into memory. */
  public static final int MAX_BYTES = 16 << 20;

  /**
   * Reads a config from {@code in}. {@code listedLength} is what a listing said (negative when unknown): a file
   * listed too large is refused before reading, and since a listing is only a hint (a file can grow after it,
   * some filesystems report 0) at most one byte past the limit is ever read, and never into an allocation sized
   * by the file.
   */
  public static ConfigBytes read(InputStream in, long listedLength) throws IOException {
    if (listedLength > MAX_BYTES) {
      throw new TooLargeException(Long.toString(listedLength));
    }
    byte[] bytes = in.readNBytes(MAX_BYTES + 1);
    if (bytes.length > MAX_BYTES) {
      throw new TooLargeException("more than " + MAX_BYTES);
    }
    return new ConfigBytes(bytes, Sha256.hex(bytes));
  }

  /** Bytes already in memory, under the same limit. */
  public static ConfigBytes of(byte[] bytes) throws TooLargeException {
    if (bytes.length > MAX_BYTES) {
      throw new TooLargeException(Integer.toString(bytes.length));
    }
    return new ConfigBytes(bytes, Sha256.hex(bytes));
  }

  /** The rule a too-large config breaks, for a size given as text ("104857600", "more than 16777216"). */
  public static String tooLargeRule(String size) {
    return "config is " + size + " bytes, more than the " + MAX_BYTES + " allowed";
  }

  /** A config over {@link #MAX_BYTES}; an IOException, since it is a read that was refused. */
  public static final class TooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    TooLargeException(String size) {
      super(tooLargeRule(size));
    }
  }
}
