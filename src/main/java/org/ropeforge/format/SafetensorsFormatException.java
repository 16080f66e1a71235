package org.ropeforge.format;

import java.io.IOException;

/** A file that is not a valid safetensors file. The message names the file and what is wrong with it. */
public class SafetensorsFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  public SafetensorsFormatException(String message) {
    super(message);
  }

  public SafetensorsFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
