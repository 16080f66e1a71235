package org.ropeforge.spark;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster on loopback for tests: a Master and Workers as child JVMs on the test classpath,
 * without a Spark distribution. Every process it starts is stopped through its own handle.
 */
final class StandaloneCluster implements AutoCloseable {
  private final Path work;
  private final List<Process> processes = new ArrayList<>();
  private final int port = freePort();
  private final int webPort = freePort();

  StandaloneCluster(Path work) {
    this.work = work;
  }

  /** The test classpath without this project's own classes, which must come from the application jar. */
  static String sparkClasspath() {
    return Stream.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
        .filter(entry -> !entry.endsWith("/target/classes") && !entry.endsWith("/target/test-classes")
            && !entry.matches(".*/target/ropeforge-[^/]*\\.jar"))
        .collect(Collectors.joining(java.io.File.pathSeparator));
  }

  /** The project's main and test classes, which {@link #sparkClasspath()} leaves out. */
  static String projectClasses() {
    return Stream.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
        .filter(entry -> entry.endsWith("/target/classes") || entry.endsWith("/target/test-classes")
            || entry.matches(".*/target/ropeforge-[^/]*\\.jar"))
        .collect(Collectors.joining(java.io.File.pathSeparator));
  }

  static List<String> jvmFlags() throws IOException {
    return Files.readAllLines(Path.of("conf/jvm-flags")).stream()
        .map(String::trim).filter(line -> !line.isEmpty() && !line.startsWith("#")).toList();
  }

  String masterUrl() {
    return "spark://127.0.0.1:" + port;
  }

  Process java(String name, List<String> args, Map<String, String> env) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmFlags());
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(work.resolve(name + ".log").toFile());
    builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    builder.environment().put("SPARK_SCALA_VERSION", "2.13");
    builder.environment().putAll(env);
    Process process = builder.start();
    processes.add(process);
    return process;
  }

  void start(int workers) throws Exception {
    start(workers, 1, List.of(), Map.of());
  }

  /** Workers of {@code cores} cores, with extra JVM options (e.g. -Dspark.worker.resource.*) and environment. */
  void start(int workers, int cores, List<String> workerOptions, Map<String, String> workerEnv) throws Exception {
    String cp = sparkClasspath();
    java("master", List.of("-Xmx512m", "-cp", cp, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
        "--port", String.valueOf(port), "--webui-port", String.valueOf(webPort)), Map.of());
    for (int w = 0; w < workers; w++) {
      Path dir = Files.createDirectories(work.resolve("worker-" + w));
      List<String> args = new ArrayList<>(List.of("-Xmx512m"));
      args.addAll(workerOptions);
      args.addAll(List.of("-cp", cp, "org.apache.spark.deploy.worker.Worker", masterUrl(),
          "--host", "127.0.0.1", "--cores", String.valueOf(cores), "--memory", "1g", "--webui-port",
          String.valueOf(freePort()), "--work-dir", dir.toString()));
      // SPARK_TESTING lets a Worker launch executors with no $SPARK_HOME/jars; they get the classpath instead.
      Map<String, String> env = new java.util.HashMap<>(workerEnv);
      env.put("SPARK_TESTING", "1");
      java("worker-" + w, args, env);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (aliveWorkers() < workers) {
      for (Process p : processes) {
        if (!p.isAlive()) {
          throw new IllegalStateException("A cluster process exited early; see the logs in " + work);
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("Workers did not register within 120 s; see the logs in " + work);
      }
      Thread.sleep(500);
    }
  }

  private int aliveWorkers() {
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + webPort + "/json/").toURL()
          .openConnection();
      c.setConnectTimeout(1000);
      c.setReadTimeout(2000);
      try (InputStream in = c.getInputStream()) {
        JsonNode node = TestJson.JSON.readTree(in);
        return node.path("aliveworkers").asInt(0);
      }
    } catch (IOException notYet) {
      return 0;
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("No free loopback port", e);
    }
  }

  @Override
  public void close() throws InterruptedException {
    for (int i = processes.size() - 1; i >= 0; i--) {
      Process p = processes.get(i);
      p.destroy();
      if (!p.waitFor(15, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(15, TimeUnit.SECONDS);
      }
    }
  }
}
