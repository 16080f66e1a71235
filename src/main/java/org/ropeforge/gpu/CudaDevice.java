package org.ropeforge.gpu;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuMemAllocHost;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

/**
 * One CUDA device of this JVM with the table kernels loaded: its primary context, shared by every thread that
 * calls {@link #current()}, and the kernels of the committed PTX ({@code rope.ptx}, built from
 * {@code src/main/cuda/rope.cu}).
 *
 * <p>Opening is attempted once per device ordinal and JVM; the outcome, a device or the reason there is none,
 * is kept, so that a task that cannot get a GPU pays for the failed attempt once per executor and not once per
 * table. The driver API (libcuda, installed with the NVIDIA driver) is the only CUDA library needed: the PTX
 * is compiled ahead and JIT-compiled by the driver, so no NVRTC or runtime library of a matching version has
 * to be present.
 */
public final class CudaDevice {
  /** The PTX of rope.cu, on the classpath next to this class. */
  static final String PTX_RESOURCE = "rope.ptx";

  private static final Map<Integer, Object> OPENED = new HashMap<>();

  /**
   * Why the driver binding did not load, for every ordinal alike: the JVM reports the loader's own error only
   * to the first caller and a bare "Could not initialize class" to every later one.
   */
  private static CudaUnavailableException bindingFailure;

  private static final Pattern MISSING_LIBRARY =
      Pattern.compile("([\\w.+-]+\\.so[\\w.]*): cannot open shared object file");

  private final int ordinal;
  private final String name;
  private final int driverVersion;
  private final CUcontext context;
  final CUfunction exactKernel;
  final CUfunction torchKernel;

  /**
   * Page-locked host buffers of closed tables, for the next: pinning is slow (the driver locks every page) and
   * the job opens a table per part of each layer. Holds at most as many buffers as tables were open at once.
   */
  private final ConcurrentLinkedQueue<PinnedBuffer> pinnedPool = new ConcurrentLinkedQueue<>();

  /** Page-locked host memory of this device's context and a buffer over all of it. */
  record PinnedBuffer(Pointer pointer, long capacity, ByteBuffer bytes) {}

  private CudaDevice(int ordinal, String name, int driverVersion, CUcontext context, CUfunction exactKernel,
      CUfunction torchKernel) {
    this.ordinal = ordinal;
    this.name = name;
    this.driverVersion = driverVersion;
    this.context = context;
    this.exactKernel = exactKernel;
    this.torchKernel = torchKernel;
  }

  /**
   * The device of CUDA ordinal {@code ordinal}, opened on first use.
   *
   * @throws CudaUnavailableException if the driver library cannot be loaded, reports an error, has no such
   *     device, or refuses the kernels; the same exception (same message) on every later call
   */
  public static synchronized CudaDevice open(int ordinal) {
    if (ordinal < 0) {
      throw new IllegalArgumentException("Invalid CUDA device ordinal " + ordinal + " (must be >= 0)");
    }
    if (bindingFailure != null) {
      throw new CudaUnavailableException(bindingFailure.getMessage(), bindingFailure);
    }
    Object known = OPENED.get(ordinal);
    if (known == null) {
      try {
        known = openNow(ordinal);
      } catch (CudaUnavailableException e) {
        known = e;
      }
      OPENED.put(ordinal, known);
    }
    if (known instanceof CudaUnavailableException e) {
      throw new CudaUnavailableException(e.getMessage(), e);
    }
    return (CudaDevice) known;
  }

  private static CudaDevice openNow(int ordinal) {
    try {
      JCudaDriver.setExceptionsEnabled(true);
    } catch (LinkageError e) {
      // The natives of JCuda's driver binding link against libcuda.so.1, which only an NVIDIA driver installs.
      bindingFailure = new CudaUnavailableException("Cannot load the CUDA driver binding: " + linkFailure(e), e);
      throw bindingFailure;
    }
    try {
      cuInit(0);
      int[] version = new int[1];
      cuDriverGetVersion(version);
      int[] count = new int[1];
      cuDeviceGetCount(count);
      if (ordinal >= count[0]) {
        throw new CudaUnavailableException(
            "No CUDA device " + ordinal + ": the driver reports " + count[0] + " device(s)");
      }
      CUdevice device = new CUdevice();
      cuDeviceGet(device, ordinal);
      byte[] nameBytes = new byte[256];
      cuDeviceGetName(nameBytes, nameBytes.length, device);
      CUcontext context = new CUcontext();
      cuDevicePrimaryCtxRetain(context, device);
      cuCtxSetCurrent(context);
      CUmodule module = new CUmodule();
      cuModuleLoadData(module, ptx());
      CUfunction exact = new CUfunction();
      cuModuleGetFunction(exact, module, "ropeExact");
      CUfunction torch = new CUfunction();
      cuModuleGetFunction(torch, module, "ropeTorch");
      return new CudaDevice(ordinal, cString(nameBytes), version[0], context, exact, torch);
    } catch (RuntimeException | LinkageError e) {
      if (e instanceof CudaUnavailableException u) {
        throw u;
      }
      throw new CudaUnavailableException("Cannot open CUDA device " + ordinal + ": " + e.getMessage(), e);
    }
  }

  /**
   * The gist of JCuda's load failure, whose message nests both load attempts' stack traces: the shared object
   * the system could not open (libcuda.so.1 where no NVIDIA driver is installed), else the first line.
   */
  static String linkFailure(Throwable e) {
    String message = String.valueOf(e.getMessage());
    Matcher missing = MISSING_LIBRARY.matcher(message);
    if (missing.find()) {
      return missing.group(1) + ": cannot open shared object file";
    }
    int end = message.indexOf('\n');
    return end < 0 ? message : message.substring(0, end);
  }

  /** The PTX text, NUL-terminated as cuModuleLoadData reads it. */
  static byte[] ptx() {
    try (InputStream in = CudaDevice.class.getResourceAsStream(PTX_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("Missing resource " + PTX_RESOURCE + " next to " + CudaDevice.class);
      }
      byte[] text = in.readAllBytes();
      return Arrays.copyOf(text, text.length + 1);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read resource " + PTX_RESOURCE, e);
    }
  }

  private static String cString(byte[] bytes) {
    int end = 0;
    while (end < bytes.length && bytes[end] != 0) {
      end++;
    }
    return new String(bytes, 0, end, StandardCharsets.US_ASCII);
  }

  /** Makes this device's context the calling thread's; every thread must do so before its CUDA calls. */
  /** A pinned buffer of at least {@code bytes}: a pooled one, or a new one where the pool has none that large. */
  PinnedBuffer takePinned(long bytes) {
    PinnedBuffer pooled = pinnedPool.poll();
    if (pooled != null) {
      if (pooled.capacity() >= bytes) {
        return pooled;
      }
      cuMemFreeHost(pooled.pointer());
    }
    Pointer pointer = new Pointer();
    cuMemAllocHost(pointer, bytes);
    return new PinnedBuffer(pointer, bytes, pointer.getByteBuffer(0, bytes));
  }

  /** Gives back a buffer of {@link #takePinned} that its table no longer reads. */
  void givePinned(PinnedBuffer buffer) {
    pinnedPool.offer(buffer);
  }

  void makeCurrent() {
    cuCtxSetCurrent(context);
  }

  public int ordinal() {
    return ordinal;
  }

  /** The device name as the driver reports it, e.g. {@code NVIDIA H200}. */
  public String name() {
    return name;
  }

  /** The CUDA version the driver supports, as 1000 * major + 10 * minor. */
  public int driverVersion() {
    return driverVersion;
  }

  @Override
  public String toString() {
    return "cuda:" + ordinal + " (" + name + ", driver CUDA " + driverVersion / 1000 + "." + driverVersion % 1000 / 10
        + ")";
  }
}
