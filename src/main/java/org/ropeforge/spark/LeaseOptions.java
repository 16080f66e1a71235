package org.ropeforge.spark;

import java.io.Serializable;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * How a run takes the lease on its output root. Keys as for {@link JobOptions}: {@code --key} on the command
 * line, {@code spark.ropeforge.key} in a Spark configuration.
 *
 * @param timeout a lease whose heartbeat is older than this belongs to a dead run and is taken over
 * @param force take the lease even from a run that looks alive
 */
public record LeaseOptions(Duration timeout, boolean force) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Seconds after its last heartbeat at which a lease counts as a dead run's. */
  public static final String TIMEOUT = "lease-timeout";

  /** Long enough for a driver paused by a full garbage collection or a slow store, short enough to resume soon. */
  public static final Duration TIMEOUT_DEFAULT = Duration.ofMinutes(3);

  /** Flag: take the lease whatever its holder's heartbeat. */
  public static final String FORCE = "force-lease";

  public static final boolean FORCE_DEFAULT = false;

  public static final LeaseOptions DEFAULT = new LeaseOptions(TIMEOUT_DEFAULT, FORCE_DEFAULT);

  public LeaseOptions {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("Option '" + TIMEOUT + "' is " + timeout.toSeconds()
          + " but must be a whole number of seconds >= 1");
    }
  }

  /** How often the holder renews its heartbeat: several times per timeout, so that one slow write never expires it. */
  public Duration heartbeatPeriod() {
    Duration period = timeout.dividedBy(6);
    return period.compareTo(Duration.ofMillis(200)) < 0 ? Duration.ofMillis(200) : period;
  }

  /** From option values by key (command line over Spark configuration, already merged). */
  static LeaseOptions parse(Map<String, String> values) {
    Duration timeout = TIMEOUT_DEFAULT;
    String text = values.get(TIMEOUT);
    if (text != null) {
      long seconds;
      try {
        seconds = Long.parseLong(text.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "Option '" + TIMEOUT + "' is '" + text + "', which is not a whole number of seconds", e);
      }
      if (seconds < 1) {
        throw new IllegalArgumentException(
            "Option '" + TIMEOUT + "' is " + seconds + " but must be a whole number of seconds >= 1");
      }
      timeout = Duration.ofSeconds(seconds);
    }
    String flag = values.get(FORCE);
    boolean force = flag != null && switch (flag.trim().toLowerCase(Locale.ROOT)) {
      case "on", "true", "yes" -> true;
      case "off", "false", "no" -> false;
      default -> throw new IllegalArgumentException(
          "Option '" + FORCE + "' is '" + flag + "' but must be on or off");
    };
    return new LeaseOptions(timeout, force);
  }
}
