package org.ropeforge.cli;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A strict {@code --key value} / {@code --flag} parser: unknown options and missing values are usage errors. */
public final class CliArgs {
  private final Map<String, String> values = new LinkedHashMap<>();
  private final Set<String> flags = new LinkedHashSet<>();
  private final List<String> positional;

  private CliArgs(List<String> positional) {
    this.positional = positional;
  }

  public static CliArgs parse(String[] args, List<String> valued, List<String> booleans) {
    java.util.ArrayList<String> positional = new java.util.ArrayList<>();
    CliArgs cli = new CliArgs(positional);
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String key = a;
      String inline = null;
      int eq = a.indexOf('=');
      if (a.startsWith("--") && eq > 0) {
        key = a.substring(0, eq);
        inline = a.substring(eq + 1);
      }
      if (valued.contains(key)) {
        if (inline == null) {
          if (i + 1 >= args.length) {
            throw new UsageException(key + " needs a value");
          }
          inline = args[++i];
        }
        cli.values.put(key, inline);
      } else if (booleans.contains(a)) {
        cli.flags.add(a);
      } else if (a.startsWith("-")) {
        throw new UsageException("unknown option " + a);
      } else {
        positional.add(a);
      }
    }
    return cli;
  }

  public boolean has(String key) {
    return values.containsKey(key);
  }

  public boolean flag(String key) {
    return flags.contains(key);
  }

  public String get(String key, String fallback) {
    return values.getOrDefault(key, fallback);
  }

  public List<String> positional() {
    return positional;
  }

  public long positiveLong(String key, long fallback) {
    if (!has(key)) {
      return fallback;
    }
    try {
      long v = Long.parseLong(values.get(key));
      if (v < 1) {
        throw new UsageException(key + " must be a whole number >= 1, got " + values.get(key));
      }
      return v;
    } catch (NumberFormatException e) {
      throw new UsageException(key + " must be a whole number >= 1, got " + values.get(key));
    }
  }

  public double positiveDouble(String key, double fallback) {
    if (!has(key)) {
      return fallback;
    }
    try {
      double v = Double.parseDouble(values.get(key));
      if (!(v > 0) || Double.isInfinite(v)) {
        throw new UsageException(key + " must be a finite number > 0, got " + values.get(key));
      }
      return v;
    } catch (NumberFormatException e) {
      throw new UsageException(key + " must be a finite number > 0, got " + values.get(key));
    }
  }
}
