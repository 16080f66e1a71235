package org.ropeforge.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.ropeforge.config.CatalogEntry;
import org.ropeforge.config.CatalogManifest;
import org.ropeforge.config.ConfigBytes;
import org.ropeforge.config.ModelConfig;
import org.ropeforge.config.RopeResolver;
import org.ropeforge.core.LayerRope;
import org.ropeforge.core.Precision;
import org.ropeforge.core.ResolvedRope;
import org.ropeforge.core.Semantics;
import org.ropeforge.core.table.Dtype;
import org.ropeforge.core.table.Layout;
import org.ropeforge.core.table.RopeTable;
import org.ropeforge.core.table.TableOptions;
import org.ropeforge.core.table.TablePart;
import org.ropeforge.gpu.CudaDevice;
import org.ropeforge.gpu.CudaTable;
import org.ropeforge.gpu.CudaUnavailableException;
import org.ropeforge.format.RopeTableFile;
import org.ropeforge.io.HashedLocalFile;
import org.ropeforge.io.Sha256;

/**
 * Compares the CUDA kernel with the CPU kernel byte for byte, and measures both, without Spark: a thin
 * classpath (these classes, Jackson, JCuda) and a JDK 17 runtime with jdk.incubator.vector are enough.
 *
 * <pre>
 * parity: GpuParityMain parity --catalog conf/sample-catalog.jsonl --length 1048576
 *             [--models ID,..] [--semantics transformers,exllamav2] [--precisions exact,torch]
 *             [--layouts half,neox,gptj,vllm] [--dtypes f32,f16,bf16,f64] [--device 0] [--threads N]
 * bench:  GpuParityMain bench --catalog conf/sample-catalog.jsonl --models ID --length 1048576
 *             [--precisions ..] [--layouts ..] [--dtypes ..] [--device 0] [--threads N] [--repeats 5]
 *             [--kernels true|false] [--task-threads 1,4] [--task-chunk-mib 4,16] [--out-dir DIR]
 * </pre>
 *
 * <p>Bench times the kernels (unless {@code --kernels false}), then the table stage's path per task thread
 * ({@code --task-threads}, 0 for none): each thread writes one table file to {@code --out-dir} (default the
 * temporary folder) as the job does, once with 4 MiB chunks copied into a Java array, as the job did, then with
 * chunks of each {@code --task-chunk-mib} read from the GPU's pinned memory, as it does now (16 MiB); all must
 * give the same digests.
 *
 * <p>Parity resolves every model at the length, keeps the distinct layer tables, and generates every row of each
 * on both kernels in chunks, counting the values whose bytes differ and their largest distance in units in the
 * last place of the dtype. The GPU buffer is poisoned before each chunk, so an unwritten value is a difference.
 * Exit status 0 when exact mode meets the bar (identical, or at most 1 ulp in at most 1e-6 of the values), 1
 * when it does not, 2 on a usage error, 3 when no CUDA device can be opened. Torch mode is reported, not judged.
 *
 * <p>A layout the kernel has no code for ({@code pairs}, see {@link CudaTable#supports}) is reported as skipped,
 * with the reason, and left out: the job computes it on the CPU, so there is nothing on the GPU to compare.
 */
public final class GpuParityMain {
  /** Rows compared per step: big enough to amortise a launch and a copy, small enough for 16 threads' buffers. */
  private static final int CHUNK_BYTES = 16 << 20;
  private static final byte POISON = (byte) 0xA5;

  private final PrintStream out;
  private final Map<String, String> args;

  GpuParityMain(Map<String, String> args, PrintStream out) {
    this.args = args;
    this.out = out;
  }

  public static void main(String[] argv) throws Exception {
    if (argv.length == 0 || !(argv[0].equals("parity") || argv[0].equals("bench"))) {
      System.err.println("usage: GpuParityMain parity|bench --catalog MANIFEST.jsonl --length N [options]");
      System.exit(2);
    }
    Map<String, String> args = new LinkedHashMap<>();
    for (int i = 1; i < argv.length; i += 2) {
      if (!argv[i].startsWith("--") || i + 1 >= argv.length) {
        System.err.println("GpuParityMain: expected --option value, got '" + argv[i] + "'");
        System.exit(2);
      }
      args.put(argv[i].substring(2), argv[i + 1]);
    }
    CudaDevice device;
    try {
      device = CudaDevice.open(Integer.parseInt(args.getOrDefault("device", "0")));
    } catch (CudaUnavailableException e) {
      System.err.println("GpuParityMain: " + e.getMessage());
      System.exit(3);
      return;
    }
    GpuParityMain main = new GpuParityMain(args, System.out);
    main.out.println("device: " + device + ", " + Runtime.getRuntime().availableProcessors() + " CPU cores");
    boolean ok = argv[0].equals("parity") ? main.parity(device) : main.bench(device);
    System.exit(ok ? 0 : 1);
  }

  /** One table to compare: a layer at a precision, stored with some options. */
  record Job(String label, LayerRope layer, TableOptions options, long rows) {}

  /** Differences found in one table or summed over several. */
  private static final class Tally {
    long tables;
    long values;
    long differing;
    long maxUlps;
    String firstDifference;

    synchronized void add(Tally other) {
      tables += other.tables;
      values += other.values;
      differing += other.differing;
      maxUlps = Math.max(maxUlps, other.maxUlps);
      if (firstDifference == null) {
        firstDifference = other.firstDifference;
      }
    }

    /** The bar of exact mode: identical, or at most 1 ulp apart in at most 1e-6 of the values. */
    boolean meetsBar() {
      return differing == 0 || (maxUlps <= 1 && differing <= 1e-6 * values);
    }
  }

  boolean parity(CudaDevice device) throws Exception {
    long length = Long.parseLong(require("length"));
    List<Job> jobs = jobs(length);
    if (jobs.isEmpty()) {
      out.println("parity: no table the CUDA kernel computes was selected; nothing to compare");
      return true;
    }
    int threads = threads();
    out.printf(Locale.ROOT, "parity: %d tables of %d rows on %d threads%n", jobs.size(), length, threads);
    Map<String, Tally> byGroup = new LinkedHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    long start = System.nanoTime();
    try {
      List<Future<Tally>> results = new ArrayList<>();
      for (Job job : jobs) {
        results.add(pool.submit(() -> compare(device, job)));
      }
      for (int i = 0; i < jobs.size(); i++) {
        Job job = jobs.get(i);
        Tally tally = results.get(i).get();
        String group = job.options().precision().cliName() + " " + job.options().layout().cliName() + " "
            + job.options().dtype().cliName();
        byGroup.computeIfAbsent(group, g -> new Tally()).add(tally);
        if (tally.differing > 0) {
          out.printf(Locale.ROOT, "  %s %s: %d of %d values differ, max %d ulp, first %s%n", group, job.label(),
              tally.differing, tally.values, tally.maxUlps, tally.firstDifference);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    out.println();
    out.println("precision layout dtype | tables | values | differing | max ulp");
    Tally exact = new Tally();
    Tally torch = new Tally();
    for (Map.Entry<String, Tally> e : byGroup.entrySet()) {
      Tally t = e.getValue();
      out.printf(Locale.ROOT, "%-22s | %6d | %14d | %9d | %d%n", e.getKey(), t.tables, t.values, t.differing,
          t.maxUlps);
      (e.getKey().startsWith(Precision.EXACT.cliName()) ? exact : torch).add(t);
    }
    out.printf(Locale.ROOT, "exact: %d tables, %d values, %d differing (max %d ulp): %s%n", exact.tables,
        exact.values, exact.differing, exact.maxUlps, exact.meetsBar() ? "PASS" : "FAIL");
    out.printf(Locale.ROOT, "torch: %d tables, %d values, %d differing (max %d ulp), reported only%n",
        torch.tables, torch.values, torch.differing, torch.maxUlps);
    out.printf(Locale.ROOT, "parity took %.1f s%n", seconds);
    return exact.meetsBar();
  }

  private static final ThreadLocal<byte[][]> BUFFERS =
      ThreadLocal.withInitial(() -> new byte[][] {new byte[CHUNK_BYTES], new byte[CHUNK_BYTES]});

  private Tally compare(CudaDevice device, Job job) {
    RopeTable cpu = RopeTable.of(job.layer(), job.options());
    byte[][] buffers = BUFFERS.get();
    byte[] expected = buffers[0];
    byte[] actual = buffers[1];
    ByteBuffer expectedView = ByteBuffer.wrap(expected).order(ByteOrder.LITTLE_ENDIAN);
    int size = job.options().dtype().size();
    int rowValues = cpu.rowBytes() / size;
    int chunkRows = CHUNK_BYTES / cpu.rowBytes();
    Tally tally = new Tally();
    tally.tables = 1;
    try (CudaTable gpu = CudaTable.of(device, RopeTable.of(job.layer(), job.options()))) {
      for (TablePart part : job.options().layout().parts()) {
        for (long from = 0; from < job.rows(); from += chunkRows) {
          long to = Math.min(job.rows(), from + chunkRows);
          int bytes = (int) ((to - from) * cpu.rowBytes());
          expectedView.clear();
          cpu.fill(part, from, to, expectedView);
          Arrays.fill(actual, 0, bytes, POISON);
          // Every other chunk through the pinned buffer, so that both ways to the host are compared.
          if (from / chunkRows % 2 == 0) {
            gpu.fill(part, from, to, actual);
          } else {
            gpu.fillPinned(part, from, to).get(actual, 0, bytes);
          }
          tally.values += bytes / size;
          int at = Arrays.mismatch(expected, 0, bytes, actual, 0, bytes);
          while (at >= 0) {
            int value = at / size;
            long ulps = ulps(expected, actual, value * size, job.options().dtype());
            tally.differing++;
            tally.maxUlps = Math.max(tally.maxUlps, ulps);
            if (tally.firstDifference == null) {
              tally.firstDifference = String.format(Locale.ROOT, "%s row %d column %d", part.tensorName(),
                  from + value / rowValues, value % rowValues);
            }
            int next = (value + 1) * size;
            if (next >= bytes) {
              break;
            }
            int rest = Arrays.mismatch(expected, next, bytes, actual, next, bytes);
            at = rest < 0 ? -1 : next + rest;
          }
        }
      }
    }
    return tally;
  }

  /** Distance between two little-endian values of {@code dtype} in units in the last place. */
  public static long ulps(byte[] a, byte[] b, int at, Dtype dtype) {
    ByteBuffer x = ByteBuffer.wrap(a).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer y = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    return switch (dtype) {
      case F64 -> Math.abs(ordered(x.getLong(at), Long.SIZE) - ordered(y.getLong(at), Long.SIZE));
      case F32 -> Math.abs(ordered(x.getInt(at), Integer.SIZE) - ordered(y.getInt(at), Integer.SIZE));
      case F16, BF16 -> Math.abs(ordered(x.getShort(at), Short.SIZE) - ordered(y.getShort(at), Short.SIZE));
    };
  }

  /** Sign-magnitude bits of a binary float of {@code bits} bits mapped to a line where neighbours differ by 1. */
  private static long ordered(long raw, int bits) {
    long signBit = 1L << (bits - 1);
    long value = bits == Long.SIZE ? raw : raw & ((1L << bits) - 1);
    long magnitude = value & (signBit - 1);
    // Saturating at 2^62 keeps the difference of two doubles of opposite sign from overflowing.
    return (value & signBit) != 0 ? -Math.min(magnitude, 1L << 62) : Math.min(magnitude, 1L << 62);
  }

  boolean bench(CudaDevice device) throws Exception {
    long rows = Long.parseLong(require("length"));
    int repeats = Integer.parseInt(args.getOrDefault("repeats", "5"));
    int threads = threads();
    List<Job> jobs = jobs(rows);
    if (jobs.isEmpty()) {
      out.println("bench: no table the CUDA kernel computes was selected; nothing to time");
      return true;
    }
    if (Boolean.parseBoolean(args.getOrDefault("kernels", "true"))) {
      out.println("precision layout dtype | table | CPU 1 thread | CPU " + threads
          + " threads | GPU kernel | GPU to byte[] | GPU to pinned  (Gvalues/s; GB/s (ms))");
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        for (Job job : jobs) {
          benchOne(device, pool, job, repeats, threads);
        }
      } finally {
        pool.shutdownNow();
      }
    }
    boolean same = true;
    for (String count : list("task-threads", "1")) {
      int taskThreads = Integer.parseInt(count);
      if (taskThreads > 0) {
        same &= taskBench(device, jobs, repeats, taskThreads);
      }
    }
    return same;
  }

  /** The table stage's array chunk size (GroupWriter.CHUNK_BYTES): the task path timed as the job runs it. */
  private static final int TASK_CHUNK_BYTES = 4 << 20;

  private static final ThreadLocal<byte[]> TASK_BUFFER = ThreadLocal.withInitial(() -> new byte[TASK_CHUNK_BYTES]);

  /** One task thread's table: the seconds of the chunks' way into host memory and of everything, its digests. */
  private record TaskRun(double hostSeconds, double seconds, long tableBytes, String fileSha256,
      String tableSha256, boolean directIo) {}

  /**
   * Each job's table written by {@code taskThreads} threads at once, each its own file, through the byte[] path
   * and through the pinned path; prints the median over the repeats of the mean per-thread rates. False when the
   * two paths' digests differ.
   */
  private boolean taskBench(CudaDevice device, List<Job> jobs, int repeats, int taskThreads) throws Exception {
    Path dir = Path.of(args.getOrDefault("out-dir", System.getProperty("java.io.tmpdir")));
    Files.createDirectories(dir);
    List<Integer> pinnedChunks = new ArrayList<>();
    for (String mib : list("task-chunk-mib", "4,16")) {
      pinnedChunks.add(Integer.parseInt(mib) << 20);
    }
    out.printf(Locale.ROOT, "%ntask path, %d task thread(s), files in %s; GB/s of table bytes per thread (GPU into"
        + " host memory; end to end: chunk, table SHA-256, file SHA-256 and write), all threads end to end%n",
        taskThreads, dir);
    byte[] sample = TASK_BUFFER.get();
    MessageDigest digest = Sha256.newDigest();
    double shaSeconds = median(repeats, () -> {
      for (int i = 0; i < 64; i++) {
        digest.update(sample);
      }
    });
    out.printf(Locale.ROOT, "SHA-256 on one thread: %.2f GB/s (each chunk is hashed twice: table and file)%n",
        64.0 * sample.length / shaSeconds / 1e9);
    StringBuilder columns = new StringBuilder("precision layout dtype | table | byte[] 4 MiB: into host, end to"
        + " end, all");
    for (int chunk : pinnedChunks) {
      columns.append(" | pinned ").append(chunk >> 20).append(" MiB: into host, end to end, all");
    }
    out.println(columns + " | direct I/O | digests");
    boolean allSame = true;
    ExecutorService pool = Executors.newFixedThreadPool(taskThreads);
    try {
      for (Job job : jobs) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%s %s %s | %s",
            job.options().precision().cliName(), job.options().layout().cliName(), job.options().dtype().cliName(),
            job.label()));
        Set<String> digests = new LinkedHashSet<>();
        double[] array = taskRates(device, pool, job, false, TASK_CHUNK_BYTES, repeats, taskThreads, dir, digests);
        line.append(String.format(Locale.ROOT, " | %.2f, %.2f, %.2f", array[0], array[1], array[2]));
        for (int chunk : pinnedChunks) {
          double[] pinned = taskRates(device, pool, job, true, chunk, repeats, taskThreads, dir, digests);
          line.append(String.format(Locale.ROOT, " | %.2f, %.2f, %.2f", pinned[0], pinned[1], pinned[2]));
        }
        boolean same = digests.size() == 1;
        allSame &= same;
        out.println(line + " | " + (lastDirectIo ? "yes" : "no") + " | " + (same ? "same" : "DIFFER " + digests));
      }
    } finally {
      pool.shutdownNow();
    }
    return allSame;
  }

  private boolean lastDirectIo;

  /**
   * Medians of {into host GB/s per thread, end to end GB/s per thread, all threads GB/s}, after a warm-up; adds
   * each run's (file, table) digests to {@code digests}.
   */
  private double[] taskRates(CudaDevice device, ExecutorService pool, Job job, boolean pinned, int chunkBytes,
      int repeats, int taskThreads, Path dir, Set<String> digests) throws Exception {
    double[][] rates = new double[3][repeats];
    for (int r = -1; r < repeats; r++) {
      List<Future<TaskRun>> runs = new ArrayList<>();
      long start = System.nanoTime();
      for (int t = 0; t < taskThreads; t++) {
        Path file = dir.resolve("task-" + t + (pinned ? "-pinned" : "-array") + ".safetensors");
        runs.add(pool.submit(() -> taskRun(device, job, pinned, chunkBytes, file)));
      }
      double host = 0;
      double total = 0;
      long bytes = 0;
      for (Future<TaskRun> future : runs) {
        TaskRun run = future.get();
        host += run.tableBytes() / run.hostSeconds() / 1e9;
        total += run.tableBytes() / run.seconds() / 1e9;
        bytes += run.tableBytes();
        digests.add(run.fileSha256() + " " + run.tableSha256());
        lastDirectIo = run.directIo();
      }
      double wall = (System.nanoTime() - start) / 1e9;
      if (r >= 0) {
        rates[0][r] = host / taskThreads;
        rates[1][r] = total / taskThreads;
        rates[2][r] = bytes / wall / 1e9;
      }
    }
    double[] medians = new double[3];
    for (int i = 0; i < 3; i++) {
      Arrays.sort(rates[i]);
      medians[i] = rates[i][repeats / 2];
    }
    return medians;
  }

  /**
   * One table file as GroupWriter writes it: the header, the layer's fixed bytes, then each part's chunks, every
   * chunk to the table's digest and to the file (HashedLocalFile, the local half of AtomicOutput: the file's
   * digest and direct I/O). {@code pinned}: the chunk in the GPU's pinned memory, as the table stage's
   * {@code TableWriting.Rows.view} gives it ({@link CudaTable#fillPinned}); else copied into the task's array by
   * {@link CudaTable#fill}, the job's path before. Built on the format and GPU layers that the job's safetensors
   * writing uses, not on that writing itself, which lives with Spark's classes and this host has none.
   */
  private static TaskRun taskRun(CudaDevice device, Job job, boolean pinned, int chunkBytes, Path file)
      throws IOException {
    LayerRope layer = job.layer();
    RopeTableFile layout = RopeTableFile.plan(new ResolvedRope(job.label(), job.rows(), Semantics.TRANSFORMERS,
        job.options().precision(), List.of(), List.of(), List.of(layer)), job.options(), "0".repeat(64));
    RopeTable cpuTable = RopeTable.of(layer, job.options());
    int rowBytes = cpuTable.rowBytes();
    byte[] buffer = TASK_BUFFER.get();
    int chunkRows = Math.max(1, (pinned ? chunkBytes : buffer.length) / rowBytes);
    MessageDigest table = Sha256.newDigest();
    long hostNanos = 0;
    long tableBytes = 0;
    Files.deleteIfExists(file);
    long start = System.nanoTime();
    try (HashedLocalFile sink = HashedLocalFile.create(file)) {
      byte[] header = layout.header().encode();
      sink.write(header, 0, header.length);
      sink.write(RopeTableFile.invFreqBytes(layer));
      for (TablePart part : job.options().layout().parts()) {
        try (CudaTable rows = CudaTable.of(device, cpuTable)) {
          for (long from = 0; from < job.rows(); from += chunkRows) {
            long to = Math.min(job.rows(), from + chunkRows);
            int bytes = (int) ((to - from) * rowBytes);
            long t0 = System.nanoTime();
            ByteBuffer chunk;
            if (pinned) {
              chunk = rows.fillPinned(part, from, to);
            } else {
              rows.fill(part, from, to, buffer);
              chunk = ByteBuffer.wrap(buffer, 0, bytes);
            }
            hostNanos += System.nanoTime() - t0;
            table.update(chunk.slice(0, bytes));
            sink.write(chunk.slice(0, bytes));
            tableBytes += bytes;
          }
        }
      }
      String fileSha256 = sink.finish();
      double seconds = (System.nanoTime() - start) / 1e9;
      if (sink.bytes() != layout.fileSize() || Files.size(file) != sink.bytes()) {
        throw new IllegalStateException("Wrote " + sink.bytes() + " bytes (" + Files.size(file)
            + " on disk) where the file layout has " + layout.fileSize());
      }
      return new TaskRun(hostNanos / 1e9, seconds, tableBytes, fileSha256, Sha256.hex(table), sink.direct());
    } finally {
      Files.deleteIfExists(file);
    }
  }

  private void benchOne(CudaDevice device, ExecutorService pool, Job job, int repeats, int threads) {
    long rows = job.rows();
    long values = 0;
    RopeTable probe = RopeTable.of(job.layer(), job.options());
    for (TablePart part : job.options().layout().parts()) {
      values += rows * probe.rowBytes() / job.options().dtype().size();
    }
    long bytes = values * job.options().dtype().size();
    double cpuOne = median(repeats, () -> cpuRun(pool, job, 1));
    double cpuAll = median(repeats, () -> cpuRun(pool, job, threads));
    double gpuKernel;
    double gpuHost;
    double gpuPinned;
    try (CudaTable gpu = CudaTable.of(device, RopeTable.of(job.layer(), job.options()))) {
      gpuKernel = median(repeats, () -> {
        for (TablePart part : job.options().layout().parts()) {
          gpu.compute(part, 0, rows);
        }
      });
      byte[] host = new byte[CHUNK_BYTES * 4];
      int chunkRows = host.length / probe.rowBytes();
      gpuHost = median(repeats, () -> {
        for (TablePart part : job.options().layout().parts()) {
          for (long from = 0; from < rows; from += chunkRows) {
            gpu.fill(part, from, Math.min(rows, from + chunkRows), host);
          }
        }
      });
      gpuPinned = median(repeats, () -> {
        for (TablePart part : job.options().layout().parts()) {
          for (long from = 0; from < rows; from += chunkRows) {
            gpu.fillPinned(part, from, Math.min(rows, from + chunkRows));
          }
        }
      });
    }
    out.printf(Locale.ROOT, "%s %s %s | %s | %s | %s | %s | %s | %s%n", job.options().precision().cliName(),
        job.options().layout().cliName(), job.options().dtype().cliName(), job.label(),
        rate(values, bytes, cpuOne), rate(values, bytes, cpuAll), rate(values, bytes, gpuKernel),
        rate(values, bytes, gpuHost), rate(values, bytes, gpuPinned));
  }

  private static String rate(long values, long bytes, double seconds) {
    return String.format(Locale.ROOT, "%.2f; %.1f (%.1f ms)", values / seconds / 1e9, bytes / seconds / 1e9,
        seconds * 1e3);
  }

  /** Every row of the job's table on {@code threads} threads, each with its own generator and buffer. */
  private static void cpuRun(ExecutorService pool, Job job, int threads) {
    long rows = job.rows();
    List<Future<?>> parts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      long from = rows * t / threads;
      long to = rows * (t + 1) / threads;
      parts.add(pool.submit(() -> {
        RopeTable table = RopeTable.of(job.layer(), job.options());
        ByteBuffer buffer = ByteBuffer.wrap(BUFFERS.get()[0]).order(ByteOrder.LITTLE_ENDIAN);
        int chunkRows = CHUNK_BYTES / table.rowBytes();
        for (TablePart part : job.options().layout().parts()) {
          for (long row = from; row < to; row += chunkRows) {
            buffer.clear();
            table.fill(part, row, Math.min(to, row + chunkRows), buffer);
          }
        }
      }));
    }
    for (Future<?> part : parts) {
      try {
        part.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while timing the CPU kernel", e);
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IllegalStateException("The CPU kernel failed: " + e.getCause(), e.getCause());
      }
    }
  }

  /** Median seconds of {@code repeats} runs after one warm-up run. */
  private static double median(int repeats, Runnable run) {
    run.run();
    double[] seconds = new double[repeats];
    for (int i = 0; i < repeats; i++) {
      long start = System.nanoTime();
      run.run();
      seconds[i] = (System.nanoTime() - start) / 1e9;
    }
    Arrays.sort(seconds);
    return seconds[repeats / 2];
  }

  /**
   * The distinct tables of the catalog's models at {@code length}, for every requested combination the kernel
   * computes; each requested layout it does not is reported once as skipped. Empty only when every requested
   * layout was skipped.
   */
  List<Job> jobs(long length) throws IOException {
    Path manifest = Path.of(require("catalog"));
    Set<String> models = args.containsKey("models") ? Set.of(args.get("models").split(",")) : null;
    List<Job> jobs = new ArrayList<>();
    Set<Layout> skipped = new LinkedHashSet<>();
    for (String layoutName : list("layouts", "half")) {
      Layout layout = Layout.parse(layoutName);
      if (!CudaTable.supports(layout) && skipped.add(layout)) {
        out.println("layout " + layout.cliName() + ": skipped, CPU only (the CUDA kernel has no "
            + layout.cliName() + " code; the job computes this layout on the CPU)");
      }
    }
    for (String precisionName : list("precisions", "exact")) {
      Precision precision = Precision.parse(precisionName);
      Map<LayerRope, String> layers = new LinkedHashMap<>();
      for (String semanticsName : list("semantics", "transformers")) {
        Semantics semantics = Semantics.parse(semanticsName);
        List<CatalogEntry> entries;
        try (InputStream in = Files.newInputStream(manifest)) {
          entries = CatalogManifest.readAll(in, manifest.getFileName().toString());
        }
        for (CatalogEntry entry : entries) {
          if (!entry.usable()) {
            throw new IllegalArgumentException(entry.defect().message());
          }
          if (models != null && !models.contains(entry.modelId())) {
            continue;
          }
          ConfigBytes json;
          Path configPath = manifest.toAbsolutePath().getParent().resolve(entry.config());
          try (InputStream in = Files.newInputStream(configPath)) {
            json = ConfigBytes.read(in, Files.size(configPath));
          }
          ModelConfig config = RopeResolver.parse(entry.modelId(), json);
          RopeResolver.Options options = RopeResolver.Options.DEFAULT.withSemantics(semantics)
              .withPrecision(precision);
          for (LayerRope layer : RopeResolver.resolve(config, length, options).layers()) {
            // Tables do not depend on the layer-type label: keep one per distinct set of parameters.
            layers.putIfAbsent(layer.withLayerType(null), entry.modelId() + "/" + semanticsName
                + (layer.layerType() == null ? "" : "/" + layer.layerType()));
          }
        }
      }
      if (layers.isEmpty()) {
        throw new IllegalArgumentException("No table selected: check --models against the catalog");
      }
      for (String layoutName : list("layouts", "half")) {
        Layout layout = Layout.parse(layoutName);
        if (skipped.contains(layout)) {
          continue;
        }
        for (String dtypeName : list("dtypes", "f32")) {
          TableOptions options = new TableOptions(layout, Dtype.parse(dtypeName), precision);
          for (Map.Entry<LayerRope, String> layer : layers.entrySet()) {
            jobs.add(new Job(layer.getValue(), layer.getKey(), options, length));
          }
        }
      }
    }
    return jobs;
  }

  private Set<String> list(String key, String fallback) {
    return new LinkedHashSet<>(Arrays.asList(args.getOrDefault(key, fallback).split(",")));
  }

  private int threads() {
    return Integer.parseInt(args.getOrDefault("threads",
        String.valueOf(Runtime.getRuntime().availableProcessors())));
  }

  private String require(String key) {
    String value = args.get(key);
    if (value == null) {
      throw new IllegalArgumentException("Missing --" + key);
    }
    return value;
  }
}
