package org.ropeforge.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.SparkConf;
import org.apache.spark.resource.ExecutorResourceRequests;
import org.apache.spark.resource.ResourceProfile;
import org.apache.spark.resource.ResourceProfileBuilder;
import org.apache.spark.resource.TaskResourceRequests;
import org.ropeforge.spark.write.TaskGpu;

/**
 * The GPU resource profile of the table stage, in the form the cluster manager accepts (Spark 4.2):
 *
 * <ul>
 *   <li>{@code local[n]}: none. Local mode cannot schedule GPUs: a stage profile is refused there, and task GPU
 *       amounts in the configuration make tasks wait forever. The job says so in one line and runs on the CPU.
 *   <li>Dynamic allocation on (YARN, Kubernetes, standalone): a full profile, executors with
 *       {@code executorAmount} GPUs and the cores for the tasks that share them, tasks with {@code taskAmount}.
 *   <li>Dynamic allocation off: a task-only profile; executors come from the default profile, which must then
 *       hold GPUs: {@link #prepare} sets {@code spark.executor.resource.gpu.amount} to {@code executorAmount}
 *       when it is unset.
 * </ul>
 *
 * <p>On standalone clusters the workers find their GPUs ({@code spark.worker.resource.gpu.amount} and
 * {@code .discoveryScript}, e.g. conf/gpu-discovery.sh) and hand addresses to executors; on YARN and Kubernetes
 * executors run the discovery script themselves ({@code spark.executor.resource.gpu.discoveryScript}).
 */
final class GpuScheduling {
  static final String RESOURCE = TaskGpu.RESOURCE;
  static final String EXECUTOR_AMOUNT_CONF = "spark.executor.resource.gpu.amount";
  static final String DISCOVERY_SCRIPT_CONF = "spark.executor.resource.gpu.discoveryScript";
  static final String VENDOR_CONF = "spark.executor.resource.gpu.vendor";
  static final String DEVICE_ORDER_CONF = "spark.executorEnv.CUDA_DEVICE_ORDER";

  private GpuScheduling() {}

  static boolean localMode(SparkConf conf) {
    String master = conf.get("spark.master", "local[*]");
    return master.equals("local") || master.startsWith("local[");
  }

  static boolean dynamicAllocation(SparkConf conf) {
    return conf.getBoolean("spark.dynamicAllocation.enabled", false);
  }

  /**
   * Completes a configuration not yet used to start Spark: executors number GPUs as nvidia-smi and the discovery
   * script do (CUDA's default order is fastest first), and, for a task-only profile, the default profile's
   * executors hold GPUs.
   *
   * @return a line for the log saying what was set, or null when nothing was
   */
  static String prepare(SparkConf conf, GpuOptions gpu) {
    if (!gpu.enabled() || localMode(conf)) {
      return null;
    }
    List<String> set = new ArrayList<>();
    if (!conf.contains(DEVICE_ORDER_CONF)) {
      conf.set(DEVICE_ORDER_CONF, "PCI_BUS_ID");
      set.add(DEVICE_ORDER_CONF + "=PCI_BUS_ID");
    }
    if (!dynamicAllocation(conf) && !conf.contains(EXECUTOR_AMOUNT_CONF)) {
      conf.set(EXECUTOR_AMOUNT_CONF, String.valueOf(gpu.executorAmount()));
      set.add(EXECUTOR_AMOUNT_CONF + "=" + gpu.executorAmount() + " (every executor holds GPUs)");
    }
    return set.isEmpty() ? null : "gpu: " + String.join(", ", set);
  }

  /** The profile of the table stage, or null (GPUs off, or local mode: see the class comment). */
  static ResourceProfile tableProfile(SparkConf conf, GpuOptions gpu) {
    if (!gpu.enabled() || localMode(conf)) {
      return null;
    }
    TaskResourceRequests task = new TaskResourceRequests()
        .cpus(conf.getInt("spark.task.cpus", 1))
        .resource(RESOURCE, gpu.taskAmount());
    ResourceProfileBuilder builder = new ResourceProfileBuilder().require(task);
    if (dynamicAllocation(conf)) {
      int tasksPerExecutor = (int) Math.max(1, Math.floor(gpu.executorAmount() / gpu.taskAmount()));
      int cores = conf.getInt("spark.executor.cores", tasksPerExecutor * conf.getInt("spark.task.cpus", 1));
      builder.require(new ExecutorResourceRequests()
          .cores(cores)
          .resource(RESOURCE, gpu.executorAmount(), conf.get(DISCOVERY_SCRIPT_CONF, ""),
              conf.get(VENDOR_CONF, "")));
    } else {
      double executorGpus = conf.getDouble(EXECUTOR_AMOUNT_CONF, 0);
      if (!(executorGpus >= gpu.taskAmount())) {
        throw new IllegalArgumentException(String.format(Locale.ROOT,
            "'%s' is %s but must be >= %s ('%s') for GPU tasks without dynamic allocation",
            EXECUTOR_AMOUNT_CONF, conf.get(EXECUTOR_AMOUNT_CONF, "unset"), gpu.taskAmount(),
            GpuOptions.TASK_AMOUNT));
      }
    }
    return builder.build();
  }

  /** The one line the driver logs about GPU scheduling. */
  static String describe(SparkConf conf, GpuOptions gpu, ResourceProfile profile) {
    if (!gpu.enabled()) {
      return null;
    }
    if (profile == null) {
      return "gpu: local mode cannot schedule GPUs; the table stage runs without a resource profile, on the CPU";
    }
    return String.format(Locale.ROOT, "gpu: table stage under resource profile %d (%s), %s GPU per task",
        profile.id(), dynamicAllocation(conf) ? "executors with " + gpu.executorAmount() + " GPU(s), dynamic "
            + "allocation" : "task resources only, executors of the default profile", gpu.taskAmount());
  }
}
