package org.ropeforge.spark;

import com.fasterxml.jackson.databind.ObjectMapper;

/** The tests' own JSON reader of manifests and markers: independent of the job's manifest class. */
public final class TestJson {
  public static final ObjectMapper JSON = new ObjectMapper();

  private TestJson() {}
}
