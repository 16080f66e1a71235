#!/usr/bin/env bash
# Packs what GpuParityMain needs on a GPU host that has an NVIDIA driver but no Java: a jlinked JDK 17
# runtime (java.base, jdk.unsupported, java.logging, jdk.incubator.vector; xz-compressed), the thin classpath
# (project classes, Jackson, JCuda and its natives), the sample catalog, and gpu-run.sh to unpack and run it.
#
#   src/main/cuda/gpu-bundle.sh OUTDIR      (after mvn package; about 30 MB)
#
# On the GPU host:  bash OUTDIR/gpu-run.sh parity --length 1048576 [GpuParityMain options]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
OUT="${1:?usage: gpu-bundle.sh OUTDIR}"
# The plain jar: the -app jar carries the Spark job's S3 client, which the GPU host does not need.
JAR="$(ls "${ROOT}"/target/ropeforge-*.jar 2>/dev/null | grep -v -- '-app\.jar$' | head -n 1 || true)"
if [[ -z "${JAR}" ]]; then
  echo "gpu-bundle: no target/ropeforge-*.jar; run mvn -B -DskipTests package first" >&2
  exit 1
fi

rm -rf "${OUT}"
mkdir -p "${OUT}/lib" "${OUT}/conf"
cp "${JAR}" "${OUT}/lib/"
(cd "${ROOT}" && mvn -B -q dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="${OUT}/deps")
cp "${OUT}"/deps/jackson-*.jar "${OUT}"/deps/jcuda-*.jar "${OUT}/lib/"
rm -rf "${OUT}/deps"
cp -r "${ROOT}/conf/sample-catalog" "${ROOT}/conf/sample-catalog.jsonl" "${OUT}/conf/"

jlink --add-modules java.base,jdk.unsupported,java.logging,jdk.incubator.vector --strip-debug \
  --no-header-files --no-man-pages --compress=2 --output "${OUT}/jre"
tar -C "${OUT}" -cJf "${OUT}/jre.tar.xz" jre
rm -rf "${OUT}/jre"

cat >"${OUT}/gpu-run.sh" <<'RUN'
#!/usr/bin/env bash
# Unpacks the runtime once into /tmp and runs GpuParityMain with the bundle's catalog.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUNTIME="${TMPDIR:-/tmp}/ropeforge-jre"
if [[ ! -x "${RUNTIME}/jre/bin/java" ]]; then
  mkdir -p "${RUNTIME}"
  tar -C "${RUNTIME}" -xJf "${HERE}/jre.tar.xz"
fi
command="$1"
shift
exec "${RUNTIME}/jre/bin/java" -Xmx24g --add-modules jdk.incubator.vector -cp "${HERE}/lib/*" \
  org.ropeforge.bench.GpuParityMain "${command}" --catalog "${HERE}/conf/sample-catalog.jsonl" "$@"
RUN
chmod +x "${OUT}/gpu-run.sh"
du -sh "${OUT}"
