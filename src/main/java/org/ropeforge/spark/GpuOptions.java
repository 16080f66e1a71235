package org.ropeforge.spark;

import java.io.Serializable;
import java.util.Locale;
import java.util.Map;

/**
 * Whether the table stage asks Spark for GPUs, and how many. Keys as for {@link JobOptions}: {@code --key} on the
 * command line, {@code spark.ropeforge.key} in a Spark configuration.
 *
 * @param enabled run the table stage under a GPU resource profile
 * @param taskAmount GPUs per table task; a fraction lets 1/fraction tasks share one GPU
 * @param executorAmount GPUs per executor, where the job sets or requests executor resources
 */
public record GpuOptions(boolean enabled, double taskAmount, int executorAmount) implements Serializable {

  /** Flag: schedule the table stage on GPUs. */
  public static final String GPU = "gpu";

  /** GPUs each table task holds: a share of one (at most 1) or a whole number, as Spark requires. */
  public static final String TASK_AMOUNT = "gpu-task-amount";

  public static final double TASK_AMOUNT_DEFAULT = 1.0;

  /**
   * GPUs each executor holds: written to {@code spark.executor.resource.gpu.amount} when that is unset and the
   * table stage uses a task-only profile, and requested by the stage's own profile under dynamic allocation.
   */
  public static final String EXECUTOR_AMOUNT = "gpu-executor-amount";

  public static final int EXECUTOR_AMOUNT_DEFAULT = 1;

  public static final GpuOptions OFF = new GpuOptions(false, TASK_AMOUNT_DEFAULT, EXECUTOR_AMOUNT_DEFAULT);

  public GpuOptions {
    if (!(taskAmount > 0) || !(taskAmount <= 1 || taskAmount == Math.rint(taskAmount))
        || Double.isInfinite(taskAmount)) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "Option '%s' is %s but must be a share of one GPU (at most 1) or a whole number of GPUs", TASK_AMOUNT,
          taskAmount));
    }
    if (executorAmount < 1) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "Option '%s' is %s but must be a whole number >= 1", EXECUTOR_AMOUNT, executorAmount));
    }
    if (taskAmount > executorAmount) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "Option '%s' is %s but an executor has only %s GPUs ('%s')", TASK_AMOUNT, taskAmount, executorAmount,
          EXECUTOR_AMOUNT));
    }
  }

  /** From option values by key (command line over Spark configuration, already merged). */
  static GpuOptions parse(Map<String, String> values) {
    String flag = values.get(GPU);
    boolean enabled = flag != null && switch (flag.trim().toLowerCase(Locale.ROOT)) {
      case "on", "true", "yes" -> true;
      case "off", "false", "no" -> false;
      default -> throw new IllegalArgumentException("Option '" + GPU + "' is '" + flag + "' but must be on or off");
    };
    double task = TASK_AMOUNT_DEFAULT;
    if (values.containsKey(TASK_AMOUNT)) {
      try {
        task = Double.parseDouble(values.get(TASK_AMOUNT).trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "Option '" + TASK_AMOUNT + "' is '" + values.get(TASK_AMOUNT) + "', which is not a number", e);
      }
    }
    int executor = EXECUTOR_AMOUNT_DEFAULT;
    if (values.containsKey(EXECUTOR_AMOUNT)) {
      try {
        executor = Integer.parseInt(values.get(EXECUTOR_AMOUNT).trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("Option '" + EXECUTOR_AMOUNT + "' is '" + values.get(EXECUTOR_AMOUNT)
            + "', which is not a whole number", e);
      }
    }
    return new GpuOptions(enabled, task, executor);
  }
}
