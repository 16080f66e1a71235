#!/usr/bin/env bash
# Runs the JMH benchmarks under src/test/java on a plain JVM. Arguments go to JMH, e.g.
#   jobs/lib/jmh.sh TableBench                 all TableBench parameters
#   jobs/lib/jmh.sh TableBench -p precision=exact -f 1 -wi 3 -i 5
# Benchmarks are single-threaded; on a small shared machine take the median of the iterations.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TARGET="${ROOT}/target"
CLASSPATH_FILE="${TARGET}/test-classpath.txt"

cd "${ROOT}"
# test-compile runs JMH's annotation processor, which generates the benchmark harness classes.
mvn -B -q test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="${CLASSPATH_FILE}" >&2
exec java @"${ROOT}/conf/jvm-flags" \
    -cp "${TARGET}/test-classes:${TARGET}/classes:$(cat "${CLASSPATH_FILE}")" \
    org.openjdk.jmh.Main "$@"
