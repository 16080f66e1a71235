package org.ropeforge.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.SparkConf;
import org.apache.spark.resource.ResourceProfile;
import org.apache.spark.resource.TaskResourceProfile;
import org.junit.jupiter.api.Test;

/** The profile of the table stage in each form, as recorded in ../shared/research/ecosystem.md §6. */
class GpuSchedulingTest {
  private static final GpuOptions GPU = new GpuOptions(true, 0.5, 2);

  private static SparkConf conf(String master) {
    return new SparkConf(false).set("spark.master", master);
  }

  @Test
  void localModeGetsNoProfileAndSaysSo() {
    for (String master : new String[] {"local", "local[2]", "local[*]"}) {
      SparkConf conf = conf(master);
      assertNull(GpuScheduling.prepare(conf, GPU));
      assertFalse(conf.contains(GpuScheduling.EXECUTOR_AMOUNT_CONF));
      assertNull(GpuScheduling.tableProfile(conf, GPU));
      assertEquals("gpu: local mode cannot schedule GPUs; the table stage runs without a resource profile, on"
          + " the CPU", GpuScheduling.describe(conf, GPU, null));
    }
  }

  @Test
  void gpusOffMeansNoProfileAndNoLine() {
    SparkConf conf = conf("spark://127.0.0.1:7077");
    assertNull(GpuScheduling.prepare(conf, GpuOptions.OFF));
    assertNull(GpuScheduling.tableProfile(conf, GpuOptions.OFF));
    assertNull(GpuScheduling.describe(conf, GpuOptions.OFF, null));
  }

  @Test
  void withoutDynamicAllocationTheTasksAloneAskForGpusFromExecutorsThatHaveThem() {
    SparkConf conf = conf("local-cluster[2,1,1024]");
    assertEquals("gpu: spark.executorEnv.CUDA_DEVICE_ORDER=PCI_BUS_ID, spark.executor.resource.gpu.amount=2"
        + " (every executor holds GPUs)", GpuScheduling.prepare(conf, GPU));
    assertEquals("2", conf.get(GpuScheduling.EXECUTOR_AMOUNT_CONF));
    assertEquals("PCI_BUS_ID", conf.get(GpuScheduling.DEVICE_ORDER_CONF));
    ResourceProfile profile = GpuScheduling.tableProfile(conf, GPU);
    assertTrue(profile instanceof TaskResourceProfile, profile.toString());
    assertEquals(0.5, profile.taskResources().get("gpu").get().amount());
    assertTrue(profile.executorResources().isEmpty());
  }

  @Test
  void anExecutorAmountGivenByTheUserIsKept() {
    SparkConf conf = conf("spark://127.0.0.1:7077").set(GpuScheduling.EXECUTOR_AMOUNT_CONF, "8")
        .set(GpuScheduling.DEVICE_ORDER_CONF, "FASTEST_FIRST");
    assertNull(GpuScheduling.prepare(conf, GPU));
    assertEquals("8", conf.get(GpuScheduling.EXECUTOR_AMOUNT_CONF));
    assertEquals("FASTEST_FIRST", conf.get(GpuScheduling.DEVICE_ORDER_CONF));
  }

  @Test
  void withoutDynamicAllocationExecutorsWithoutGpusAreRefusedBeforeAnyStage() {
    SparkConf conf = conf("yarn").set(GpuScheduling.EXECUTOR_AMOUNT_CONF, "0");
    assertEquals("'spark.executor.resource.gpu.amount' is 0 but must be >= 0.5 ('gpu-task-amount') for GPU"
            + " tasks without dynamic allocation",
        assertThrows(IllegalArgumentException.class, () -> GpuScheduling.tableProfile(conf, GPU)).getMessage());
  }

  @Test
  void withDynamicAllocationTheStageRequestsExecutorsWithGpus() {
    SparkConf conf = conf("k8s://https://example:6443").set("spark.dynamicAllocation.enabled", "true")
        .set(GpuScheduling.DISCOVERY_SCRIPT_CONF, "conf/gpu-discovery.sh")
        .set(GpuScheduling.VENDOR_CONF, "nvidia.com");
    assertEquals("gpu: spark.executorEnv.CUDA_DEVICE_ORDER=PCI_BUS_ID", GpuScheduling.prepare(conf, GPU));
    assertFalse(conf.contains(GpuScheduling.EXECUTOR_AMOUNT_CONF));
    ResourceProfile profile = GpuScheduling.tableProfile(conf, GPU);
    assertFalse(profile instanceof TaskResourceProfile, profile.toString());
    var gpus = profile.executorResources().get("gpu").get();
    assertEquals(2, gpus.amount());
    assertEquals("conf/gpu-discovery.sh", gpus.discoveryScript());
    assertEquals("nvidia.com", gpus.vendor());
    // Two GPUs at half a GPU per task: four tasks at once, one core each.
    assertEquals(4, profile.executorResources().get("cores").get().amount());
    assertTrue(GpuScheduling.describe(conf, GPU, profile)
        .endsWith("(executors with 2 GPU(s), dynamic allocation), 0.5 GPU per task"));
  }
}
