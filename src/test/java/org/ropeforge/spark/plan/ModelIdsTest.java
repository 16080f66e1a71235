package org.ropeforge.spark.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class ModelIdsTest {
  @Test
  void hubIdsAreSafe() {
    assertNull(ModelIds.problem("meta-llama/Llama-3.1-8B-Instruct"));
    assertNull(ModelIds.problem("Qwen/Qwen2.5-7B-Instruct"));
    assertNull(ModelIds.problem("local-model"));
    assertNull(ModelIds.problem("org/sub/model.v2"));
  }

  @Test
  void idsThatCouldEscapeTheOutputRootAreRejected() {
    assertEquals("is empty", ModelIds.problem(""));
    assertEquals("is absolute", ModelIds.problem("/etc/passwd"));
    assertEquals("has a '..' path segment", ModelIds.problem("../../etc"));
    assertEquals("has a '..' path segment", ModelIds.problem("org/../../x"));
    assertEquals("has a '.' path segment", ModelIds.problem("org/./x"));
    assertEquals("has an empty path segment", ModelIds.problem("org//x"));
    assertEquals("has an empty path segment", ModelIds.problem("org/x/"));
    assertEquals("contains control character U+000A", ModelIds.problem("org/x\ny"));
    assertEquals("contains control character U+0000", ModelIds.problem("org/\0"));
    assertEquals("contains '\\'", ModelIds.problem("org\\..\\x"));
    assertEquals("contains ':'", ModelIds.problem("s3a://bucket/x"));
    assertEquals("has a path segment starting with '.'", ModelIds.problem("org/.hidden"));
    assertEquals("has a path segment starting with '_'", ModelIds.problem("_temporary/x"));
    assertEquals("is longer than 512 characters", ModelIds.problem("a".repeat(513)));
  }
}
