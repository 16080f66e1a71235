package org.ropeforge.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.ropeforge.config.ConfigBytes;
import org.ropeforge.format.GgufConfig;

/**
 * A command's {@code --config FILE}: a config.json, or a GGUF file read as the config it derives (with the other
 * shards beside it, for a split's first shard), or a folder holding one GGUF model.
 */
final class ConfigFile {
  private static final String JSON = ".json";

  private ConfigFile() {}

  /** The file name without {@code .json} or {@code .gguf}. */
  static String stem(Path config) {
    String name = config.getFileName().toString();
    if (name.endsWith(JSON)) {
      return name.substring(0, name.length() - JSON.length());
    }
    return GgufConfig.isGguf(name) ? name.substring(0, name.length() - GgufConfig.EXTENSION.length()) : name;
  }

  /**
   * The config bytes of {@code config}: a GGUF file's derived config (a file the mapping refuses is a
   * RopeConfigException naming the GGUF key), else the file itself.
   */
  static ConfigBytes read(String modelId, Path config) throws IOException {
    if (Files.isDirectory(config)) {
      List<String> names;
      try (Stream<Path> files = Files.list(config)) {
        names = files.filter(Files::isRegularFile).map(f -> f.getFileName().toString()).toList();
      }
      return GgufConfig.read(modelId, config.resolve(GgufConfig.modelFile(modelId, config.toString(), names)));
    }
    if (GgufConfig.isGguf(config.getFileName().toString())) {
      return GgufConfig.read(modelId, config);
    }
    try (InputStream in = Files.newInputStream(config)) {
      return ConfigBytes.read(in, Files.size(config));
    }
  }
}
