package org.ropeforge.spark.write;

import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.ropeforge.gpu.CudaDevice;
import org.ropeforge.gpu.CudaUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On an executor: the GPU the running task holds, as Spark assigned it, and the CUDA device behind it. A task
 * that holds no GPU, or whose GPU cannot be opened, uses the CPU kernel; the reason is logged once per executor.
 */
public final class TaskGpu {
  /** The Spark resource name of GPUs. */
  public static final String RESOURCE = "gpu";

  private static final Logger LOG = LoggerFactory.getLogger(TaskGpu.class);
  private static final AtomicBoolean FALLBACK_LOGGED = new AtomicBoolean();

  private TaskGpu() {}

  /** The first GPU address of the running task, or null outside a task or without a GPU. */
  static String address() {
    TaskContext task = TaskContext.get();
    if (task == null) {
      return null;
    }
    ResourceInformation gpu = task.resourcesJMap().get(RESOURCE);
    return gpu == null || gpu.addresses().length == 0 ? null : gpu.addresses()[0];
  }

  /**
   * The CUDA device of Spark GPU address {@code address} (the discovery script reports CUDA ordinals), or null
   * for the CPU kernel.
   */
  static CudaDevice open(String address) {
    if (address == null) {
      return null;
    }
    try {
      return CudaDevice.open(Integer.parseInt(address.trim()));
    } catch (CudaUnavailableException | IllegalArgumentException e) {
      if (FALLBACK_LOGGED.compareAndSet(false, true)) {
        LOG.warn("GPU {} assigned but unusable, table tasks of this executor use the CPU kernel: {}", address,
            e.getMessage());
      }
      return null;
    }
  }
}
