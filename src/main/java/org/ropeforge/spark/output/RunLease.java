package org.ropeforge.spark.output;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.ropeforge.io.AtomicOutput;

/**
 * The run lease on an output root, {@code <out>/_ROPEFORGE_LEASE}: one JSON object naming the run that writes
 * there ({@code run_id}, {@code host}, {@code pid}, {@code started}, {@code heartbeat}). A run takes it before
 * touching anything under the root, renews the heartbeat while it runs and deletes it at the end.
 *
 * <p>Taking it is a create that fails when the object exists, in the strongest form the store has:
 * <ul>
 *   <li>local disks: the content is written to a temporary file and hard-linked to the lease's name, which the
 *       kernel refuses atomically when the name exists;
 *   <li>HDFS: {@code create} without overwrite, which the NameNode decides atomically;
 *   <li>S3A: {@code create} without overwrite is a conditional PUT ({@code If-None-Match: *}) where
 *       {@code fs.s3a.create.conditional.enabled} is on (Hadoop 3.5's default) and the store honours it (AWS S3
 *       does); a store that ignores the condition degrades to a check before the PUT.
 * </ul>
 * Every take is then read back: the run that does not find its own id lost a race and stops.
 *
 * <p>A lease whose heartbeat is older than the timeout is taken over, with a warning; {@code force} takes it
 * whatever its age. A run that finds, while renewing, that another run now holds its lease stops before writing
 * its manifest ({@link #ensureHeld}).
 */
public final class RunLease implements AutoCloseable {
  /** The lease's name below the output root. */
  public static final String NAME = "_ROPEFORGE_LEASE";

  private final FileSystem fs;
  private final Path out;
  private final Path path;
  private final Holder mine;
  private volatile String lostTo;

  private RunLease(FileSystem fs, Path out, Holder mine) {
    this.fs = fs;
    this.out = out;
    this.path = new Path(out, NAME);
    this.mine = mine;
  }

  /**
   * Who holds a lease.
   *
   * @param heartbeat when the holder last renewed it
   */
  public record Holder(String runId, String host, long pid, Instant started, Instant heartbeat) {
    byte[] toBytes() {
      ObjectNode node = JsonNodeFactory.instance.objectNode();
      node.put("run_id", runId);
      node.put("host", host);
      node.put("pid", pid);
      node.put("started", started.toString());
      node.put("heartbeat", heartbeat.toString());
      return (Manifest.write(node) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    static Holder parse(String text) {
      JsonNode node = Manifest.read(text, "run lease");
      try {
        return new Holder(node.path("run_id").asText(""), node.path("host").asText(""), node.path("pid").asLong(-1),
            Instant.parse(node.path("started").asText()), Instant.parse(node.path("heartbeat").asText()));
      } catch (java.time.format.DateTimeParseException e) {
        throw new IllegalArgumentException("run lease has no readable started/heartbeat time: " + text.strip(), e);
      }
    }

    Holder renewed(Instant now) {
      return new Holder(runId, host, pid, started, now);
    }

    /** One line about the holder, for messages. */
    public String describe(Instant now) {
      return "run " + runId + " on host " + host + " (pid " + pid + "), started " + started + ", last heartbeat "
          + Duration.between(heartbeat, now).toSeconds() + " s ago";
    }
  }

  /** How a lease was taken. */
  public enum Taken {
    /** No lease was there. */
    FREE,
    /** A lease whose heartbeat was older than the timeout was there. */
    STALE,
    /** A live lease was there, and was taken because the caller forced it. */
    FORCED
  }

  /** Another run holds the lease; its message names the holder and what to do. */
  public static final class HeldException extends IOException {
    private static final long serialVersionUID = 1L;

    HeldException(String message) {
      super(message);
    }
  }

  /**
   * Takes the lease on {@code out} for a new run, or throws {@link HeldException} naming the live holder.
   *
   * @param timeout a lease not renewed for this long belongs to a dead run and is taken over
   * @param force take the lease even from a live holder
   * @param onTakeOver told how the lease was taken, and from whom (null when it was free)
   */
  public static RunLease acquire(FileSystem fs, Path out, Duration timeout, boolean force,
      java.util.function.BiConsumer<Taken, Holder> onTakeOver) throws IOException {
    Instant now = Instant.now();
    Holder mine = new Holder(UUID.randomUUID().toString(), hostName(), ProcessHandle.current().pid(), now, now);
    RunLease lease = new RunLease(fs, out, mine);
    if (lease.createExclusive()) {
      lease.checkStillMine("took the free lease");
      onTakeOver.accept(Taken.FREE, null);
      return lease;
    }
    Holder theirs;
    try {
      theirs = lease.readSettled();
    } catch (IllegalArgumentException e) {
      // A lease nobody can read protects nothing; it is treated as stale, and says so.
      theirs = new Holder("unreadable", "unknown", -1, Instant.EPOCH, Instant.EPOCH);
    } catch (FileNotFoundException e) {
      // Released between our create and our read: try once more from the start.
      return acquire(fs, out, timeout, force, onTakeOver);
    }
    Duration age = Duration.between(theirs.heartbeat(), now);
    boolean stale = age.compareTo(timeout) > 0;
    if (!stale && !force) {
      throw new HeldException("Output " + out + " is leased by " + theirs.describe(now) + ": another run is"
          + " writing there. Wait for it to finish. If that run is dead, a run started after its heartbeat is "
          + timeout.toSeconds() + " s old (--lease-timeout) takes the lease over, and --force-lease takes it now.");
    }
    lease.replace(mine);
    lease.checkStillMine("took over the lease of " + theirs.runId());
    onTakeOver.accept(stale ? Taken.STALE : Taken.FORCED, theirs);
    return lease;
  }

  public Holder holder() {
    return mine;
  }

  public String runId() {
    return mine.runId();
  }

  /**
   * Renews the heartbeat, unless another run has taken the lease meanwhile; then this run has lost it, which
   * {@link #ensureHeld} reports.
   */
  public synchronized void renew() throws IOException {
    if (lostTo != null) {
      return;
    }
    Holder current;
    try {
      current = read();
    } catch (FileNotFoundException | IllegalArgumentException e) {
      current = null;
    }
    if (current != null && !current.runId().equals(mine.runId())) {
      lostTo = current.describe(Instant.now());
      return;
    }
    replace(mine.renewed(Instant.now()));
  }

  /** Throws when another run has taken this run's lease: its outputs may no longer be this run's alone. */
  public void ensureHeld() throws HeldException {
    if (lostTo != null) {
      throw new HeldException("The lease on " + out + " was taken over by " + lostTo
          + "; this run stops without writing its manifest");
    }
  }

  /** Deletes the lease if it is still this run's. */
  @Override
  public synchronized void close() throws IOException {
    if (lostTo != null) {
      return;
    }
    try {
      if (read().runId().equals(mine.runId())) {
        fs.delete(path, false);
      }
    } catch (FileNotFoundException | IllegalArgumentException e) {
      // Nothing of ours to release.
    }
  }

  private void checkStillMine(String what) throws IOException {
    Holder found = read();
    if (!found.runId().equals(mine.runId())) {
      throw new HeldException("Output " + out + " was leased by " + found.describe(Instant.now())
          + " at the same moment this run " + what + "; this run stops");
    }
  }

  /** Reads of a lease that is still empty, and the pause between them: two seconds in all. */
  static final int EMPTY_LEASE_READS = 20;

  static final long EMPTY_LEASE_PAUSE_MS = 100;

  /**
   * The holder, read again while the lease is empty. HDFS shows a file from its create on, empty until its
   * writer closes it, so a lease being taken at this moment reads as nothing for a few milliseconds; judged
   * at once, it would be taken over as unreadable. One that stays empty (its creator died between create and
   * close) is unreadable.
   */
  private Holder readSettled() throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        return read();
      } catch (IllegalArgumentException e) {
        if (attempt >= EMPTY_LEASE_READS || fs.getFileStatus(path).getLen() > 0) {
          throw e;
        }
      }
      try {
        Thread.sleep(EMPTY_LEASE_PAUSE_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while reading the run lease " + path);
      }
    }
  }

  Holder read() throws IOException {
    try (InputStream in = fs.open(path)) {
      return Holder.parse(new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8));
    }
  }

  /** Creates the lease object with this run's content; false when one exists. */
  private boolean createExclusive() throws IOException {
    byte[] bytes = mine.toBytes();
    if (fs instanceof RawLocalFileSystem local) {
      java.nio.file.Path target = local.pathToFile(path).toPath();
      Files.createDirectories(target.getParent());
      java.nio.file.Path temp = target.resolveSibling("." + NAME + ".tmp-" + UUID.randomUUID());
      Files.write(temp, bytes);
      try {
        Files.createLink(target, temp);
        return true;
      } catch (FileAlreadyExistsException e) {
        return false;
      } finally {
        Files.deleteIfExists(temp);
      }
    }
    if (fs.exists(path)) {
      return false;
    }
    try (OutputStream out = fs.create(path, false)) {
      out.write(bytes);
    } catch (org.apache.hadoop.fs.FileAlreadyExistsException | java.io.FileNotFoundException e) {
      return false;
    } catch (IOException e) {
      // A conditional PUT refused at close (HTTP 412) surfaces as an IOException of the store's own kind.
      if (fs.exists(path) && !read().runId().equals(mine.runId())) {
        return false;
      }
      throw e;
    }
    return true;
  }

  /** Overwrites the lease with {@code holder}, atomically for readers. */
  private void replace(Holder holder) throws IOException {
    byte[] bytes = holder.toBytes();
    if (fs instanceof RawLocalFileSystem local) {
      java.nio.file.Path target = local.pathToFile(path).toPath();
      java.nio.file.Path temp = target.resolveSibling("." + NAME + ".tmp-" + UUID.randomUUID());
      Files.write(temp, bytes);
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return;
    }
    try (AtomicOutput out = AtomicOutput.create(fs, path)) {
      out.write(bytes);
      out.commit();
    }
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
