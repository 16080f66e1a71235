package org.ropeforge.spark.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ropeforge.io.HadoopConf;

class RunLeaseTest {
  @TempDir Path dir;

  private final List<String> taken = new ArrayList<>();

  private FileSystem fs() throws IOException {
    return new HadoopConf(new Configuration()).fileSystem(new org.apache.hadoop.fs.Path(dir.toUri()));
  }

  private org.apache.hadoop.fs.Path out() {
    // A path string, not a URI: the URI of an existing folder ends in '/', and the messages name the root as given.
    return new org.apache.hadoop.fs.Path("file:" + dir.resolve("out"));
  }

  private RunLease acquire(Duration timeout, boolean force) throws IOException {
    return RunLease.acquire(fs(), out(), timeout, force,
        (how, from) -> taken.add(how + (from == null ? "" : " from " + from.runId())));
  }

  private void plant(String runId, Instant heartbeat) throws IOException {
    Files.createDirectories(dir.resolve("out"));
    Files.writeString(dir.resolve("out").resolve(RunLease.NAME), "{\"run_id\":\"" + runId
        + "\",\"host\":\"h1\",\"pid\":42,\"started\":\"" + heartbeat + "\",\"heartbeat\":\"" + heartbeat + "\"}\n");
  }

  @Test
  void aFreeLeaseIsTakenAndReleased() throws IOException {
    try (RunLease lease = acquire(Duration.ofMinutes(3), false)) {
      assertEquals(List.of("FREE"), taken);
      String text = Files.readString(dir.resolve("out").resolve(RunLease.NAME), StandardCharsets.UTF_8);
      assertTrue(text.contains("\"run_id\":\"" + lease.runId() + "\""), text);
      lease.renew();
      lease.ensureHeld();
    }
    assertFalse(Files.exists(dir.resolve("out").resolve(RunLease.NAME)), "released at the end");
  }

  @Test
  void aLiveLeaseIsRefusedNamingItsHolder() throws IOException {
    plant("other-run", Instant.now().minusSeconds(5));

    RunLease.HeldException e = assertThrows(RunLease.HeldException.class,
        () -> acquire(Duration.ofMinutes(3), false));

    assertTrue(e.getMessage().startsWith("Output " + out() + " is leased by run other-run on host h1 (pid 42),"
        + " started "), e.getMessage());
    assertTrue(e.getMessage().contains("last heartbeat 5 s ago: another run is writing there. Wait for it to"
        + " finish. If that run is dead, a run started after its heartbeat is 180 s old (--lease-timeout) takes"
        + " the lease over, and --force-lease takes it now."), e.getMessage());
    assertTrue(Files.readString(dir.resolve("out").resolve(RunLease.NAME)).contains("other-run"), "untouched");
  }

  @Test
  void aStaleLeaseIsTakenOverAndALiveOneOnlyByForce() throws IOException {
    plant("dead-run", Instant.now().minusSeconds(600));
    try (RunLease lease = acquire(Duration.ofMinutes(3), false)) {
      assertEquals(List.of("STALE from dead-run"), taken);
    }
    plant("live-run", Instant.now());
    try (RunLease lease = acquire(Duration.ofMinutes(3), true)) {
      assertEquals(List.of("STALE from dead-run", "FORCED from live-run"), taken);
    }
  }

  @Test
  void aRunWhoseLeaseWasTakenOverStopsBeforeItsManifest() throws IOException {
    RunLease lease = acquire(Duration.ofMinutes(3), false);
    plant("usurper", Instant.now());

    lease.renew();

    RunLease.HeldException e = assertThrows(RunLease.HeldException.class, lease::ensureHeld);
    assertTrue(e.getMessage().startsWith("The lease on " + out() + " was taken over by run usurper on host h1"),
        e.getMessage());
    assertTrue(e.getMessage().endsWith("; this run stops without writing its manifest"), e.getMessage());
    lease.close();
    assertTrue(Files.readString(dir.resolve("out").resolve(RunLease.NAME)).contains("usurper"),
        "a lost lease is not deleted by its former holder");
  }

  @Test
  void ofManyRunsStartingTogetherExactlyOneTakesTheLease() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<RunLease>> attempts = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      attempts.add(pool.submit(() -> {
        try {
          return RunLease.acquire(fs(), out(), Duration.ofMinutes(3), false, (how, from) -> { });
        } catch (RunLease.HeldException e) {
          return null;
        }
      }));
    }
    int holders = 0;
    for (Future<RunLease> attempt : attempts) {
      if (attempt.get() != null) {
        holders++;
      }
    }
    pool.shutdown();
    assertEquals(1, holders);
  }

  @Test
  void anUnreadableLeaseIsTreatedAsStale() throws IOException {
    Files.createDirectories(dir.resolve("out"));
    Files.writeString(dir.resolve("out").resolve(RunLease.NAME), "{\"run_id\": ");
    try (RunLease lease = acquire(Duration.ofMinutes(3), false)) {
      assertEquals(List.of("STALE from unreadable"), taken);
    }
  }

  /** HDFS shows a lease from its create on, empty until its writer closes it a moment later. */
  @Test
  void aLeaseBeingWrittenIsReadOnceItsContentArrivesNotTakenOverAsUnreadable() throws Exception {
    Files.createDirectories(dir.resolve("out"));
    Path lease = dir.resolve("out").resolve(RunLease.NAME);
    Files.write(lease, new byte[0]);
    Thread writer = new Thread(() -> {
      try {
        Thread.sleep(3 * RunLease.EMPTY_LEASE_PAUSE_MS);
        Instant now = Instant.now();
        Path written = Files.writeString(dir.resolve("written"), "{\"run_id\":\"creator\",\"host\":\"h1\","
            + "\"pid\":42,\"started\":\"" + now + "\",\"heartbeat\":\"" + now + "\"}\n");
        // All at once, as the creator's close makes it visible.
        Files.move(written, lease, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    writer.start();

    RunLease.HeldException e = assertThrows(RunLease.HeldException.class, () -> acquire(Duration.ofMinutes(3), false));

    writer.join();
    assertTrue(e.getMessage().startsWith("Output " + out() + " is leased by run creator on host h1 (pid 42)"),
        e.getMessage());
    assertEquals(List.of(), taken);
  }

  @Test
  void aLeaseThatStaysEmptyIsTreatedAsStale() throws IOException {
    Files.createDirectories(dir.resolve("out"));
    Files.write(dir.resolve("out").resolve(RunLease.NAME), new byte[0]);
    long start = System.nanoTime();
    try (RunLease lease = acquire(Duration.ofMinutes(3), false)) {
      assertEquals(List.of("STALE from unreadable"), taken);
    }
    assertTrue(System.nanoTime() - start >= (RunLease.EMPTY_LEASE_READS - 1) * RunLease.EMPTY_LEASE_PAUSE_MS
        * 1_000_000, "read again for a while before it is judged");
  }
}
