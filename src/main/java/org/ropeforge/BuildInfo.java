package org.ropeforge;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * Facts of the build, taken from the pom by resource filtering: the one project version, which every output's
 * fingerprint, the completion marker and every safetensors file record.
 */
public final class BuildInfo {
  private static final String RESOURCE = "/org/ropeforge/build.properties";

  /** The project's version, as in the pom. */
  public static final String VERSION = load().getProperty("version");

  private BuildInfo() {}

  private static Properties load() {
    Properties properties = new Properties();
    try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the classpath: the build writes it");
      }
      properties.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String version = properties.getProperty("version");
    if (version == null || version.isBlank() || version.startsWith("${")) {
      throw new IllegalStateException(RESOURCE + " has no filtered version: " + version);
    }
    return properties;
  }
}
