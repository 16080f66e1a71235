package org.ropeforge.core;

import java.util.Locale;

/** Whose interpretation of a config the parameters follow. */
public enum Semantics {
  /** transformers 5.x: the reference semantics, and the default. */
  TRANSFORMERS("transformers"),
  /** ExLlamaV2's {@code get_rope_params}: the project's seed, kept for parity with ExLlamaV2 runtimes. */
  EXLLAMAV2("exllamav2"),
  /** vLLM's {@code get_rope}: the parameters and the {@code cos_sin_cache} vLLM builds at start-up. */
  VLLM("vllm");

  private final String cliName;

  Semantics(String cliName) {
    this.cliName = cliName;
  }

  /** The name used on the command line, in metadata and in output rows. */
  public String cliName() {
    return cliName;
  }

  public static Semantics parse(String text) {
    for (Semantics s : values()) {
      if (s.cliName.equals(text.toLowerCase(Locale.ROOT))) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown semantics '" + text + "': expected transformers, exllamav2 or vllm");
  }
}
