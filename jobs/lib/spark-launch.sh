#!/usr/bin/env bash
# Runs the Spark commands of jobs/ropeforge. Two ways, one command line:
#   embedded      no SPARK_HOME and no --master: Spark in local mode on the Maven-built classpath;
#   spark-submit  SPARK_HOME set, or --master given: the application jar (Spark provided) through
#                 $SPARK_HOME/bin/spark-submit, or through Spark's SparkSubmit class on the Maven classpath
#                 when there is no SPARK_HOME.
# --dry-run prints the command instead of running it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TARGET="${ROOT}/target"
CLASSES="${TARGET}/classes"
CLASSPATH_FILE="${TARGET}/runtime-classpath.txt"
JVM_FLAGS="${ROOT}/conf/jvm-flags"
PRECOMPUTE_MAIN="org.ropeforge.spark.PrecomputeMain"
BENCH_MAIN="org.ropeforge.bench.Bench"

usage() {
  cat >&2 <<'USAGE'
usage: jobs/ropeforge precompute [--dry-run] [--master URL] [--deploy-mode client|cluster]
                                 [--properties-file FILE] [--conf key=value]... [job options]
       jobs/ropeforge bench [--dry-run] [bench options]

  --dry-run           print the command line that would run, and exit
  --master URL        run through spark-submit on this master (default: embedded local[*],
                      or spark-submit's default when SPARK_HOME is set)
  --deploy-mode MODE  passed to spark-submit
  --conf key=value    Spark setting; spark.hadoop.* reach Hadoop
  --properties-file   Spark properties file; embedded runs default to conf/precompute.properties

  Job options: jobs/ropeforge precompute --help
  Environment: SPARK_HOME (use its spark-submit), ROPEFORGE_JAVA_OPTS (extra JVM options, embedded mode)
USAGE
}

log() { printf 'ropeforge: %s\n' "$*" >&2; }

# Same stamp and classpath file as jobs/ropeforge, so either script's build serves both.
ensure_built() {
  local stamp="${TARGET}/.ropeforge-built"
  if [[ -f "${stamp}" && -f "${CLASSPATH_FILE}" && -n "$(app_jar)" ]] \
      && [[ -z "$(find "${ROOT}/src/main" "${ROOT}/pom.xml" -newer "${stamp}" -print -quit)" ]]; then
    return 0
  fi
  log "building (first use or sources changed) ..."
  (cd "${ROOT}" && mvn -B -q -DskipTests package dependency:build-classpath \
      -Dmdep.outputFile="${CLASSPATH_FILE}" -Dmdep.includeScope=compile >&2)
  touch "${stamp}"
}

app_jar() {
  local jar
  for jar in "${TARGET}"/ropeforge-*-app.jar; do
    if [[ -f "${jar}" ]]; then
      printf '%s\n' "${jar}"
      return 0
    fi
  done
}

# Prints a command as one line that a shell reads back as the same words.
print_command() {
  local out="" word
  for word in "$@"; do
    out+="$(printf '%q' "${word}") "
  done
  printf '%s\n' "${out% }"
}

run_or_print() {
  if [[ "${DRY_RUN}" == true ]]; then
    print_command "$@"
    exit 0
  fi
  exec "$@"
}

main() {
  if [[ $# -eq 0 ]]; then
    usage
    exit 2
  fi
  local command="$1"
  shift
  DRY_RUN=false
  local master="" deploy_mode="" properties_file=""
  local -a confs=() job_args=()
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --dry-run) DRY_RUN=true ;;
      --master|--deploy-mode|--properties-file|--conf)
        if [[ $# -lt 2 ]]; then
          log "option $1 needs a value"
          usage
          exit 2
        fi
        case "$1" in
          --master) master="$2" ;;
          --deploy-mode) deploy_mode="$2" ;;
          --properties-file) properties_file="$2" ;;
          --conf) confs+=("$2") ;;
        esac
        shift
        ;;
      --master=*) master="${1#*=}" ;;
      --deploy-mode=*) deploy_mode="${1#*=}" ;;
      --properties-file=*) properties_file="${1#*=}" ;;
      --conf=*) confs+=("${1#*=}") ;;
      *) job_args+=("$1") ;;
    esac
    shift
  done

  local main_class
  case "${command}" in
    precompute) main_class="${PRECOMPUTE_MAIN}" ;;
    bench) main_class="${BENCH_MAIN}" ;;
    -h|--help) usage; exit 0 ;;
    *) log "unknown command '${command}'"; usage; exit 2 ;;
  esac

  local -a conf_args=()
  local conf
  for conf in "${confs[@]+"${confs[@]}"}"; do
    conf_args+=(--conf "${conf}")
  done

  if [[ -z "${SPARK_HOME:-}" && -z "${master}" ]] || [[ "${command}" == bench ]]; then
    if [[ -n "${deploy_mode}" ]]; then
      log "--deploy-mode needs spark-submit: set SPARK_HOME or --master"
      exit 2
    fi
    [[ "${DRY_RUN}" == true && -f "${CLASSPATH_FILE}" ]] || ensure_built
    local -a java_opts=()
    read -r -a java_opts <<< "${ROPEFORGE_JAVA_OPTS:-}"
    local -a props=()
    # The embedded default is the sample run: the sample catalog at a few context lengths (see the file).
    if [[ -z "${properties_file}" && "${command}" == precompute ]]; then
      properties_file="${ROOT}/conf/precompute.properties"
      # The sample catalog is found from any working directory; the output stays ./out.
      local arg has_catalog=false
      for arg in "${job_args[@]+"${job_args[@]}"}"; do
        if [[ "${arg}" == --catalog || "${arg}" == --catalog=* ]]; then
          has_catalog=true
        fi
      done
      if [[ "${has_catalog}" == false ]]; then
        job_args=(--catalog "${ROOT}/conf/sample-catalog" "${job_args[@]+"${job_args[@]}"}")
      fi
    fi
    if [[ -n "${properties_file}" ]]; then
      props=(--properties-file "${properties_file}")
    fi
    local -a master_arg=()
    if [[ -n "${master}" ]]; then
      master_arg=(--master "${master}")
    fi
    # Spark would bind the driver to the first non-loopback interface; a local run has no use for it.
    export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
    run_or_print java @"${JVM_FLAGS}" -Dlog4j2.configurationFile="${ROOT}/conf/log4j2.properties" \
        "${java_opts[@]+"${java_opts[@]}"}" \
        -cp "${CLASSES}:$(cat "${CLASSPATH_FILE}")" "${main_class}" \
        "${master_arg[@]+"${master_arg[@]}"}" "${props[@]+"${props[@]}"}" \
        "${conf_args[@]+"${conf_args[@]}"}" "${job_args[@]+"${job_args[@]}"}"
  fi

  local -a submit=()
  if [[ -n "${SPARK_HOME:-}" ]]; then
    submit=("${SPARK_HOME}/bin/spark-submit")
  else
    [[ "${DRY_RUN}" == true && -f "${CLASSPATH_FILE}" ]] || ensure_built
    submit=(java @"${JVM_FLAGS}" -cp "$(cat "${CLASSPATH_FILE}")" org.apache.spark.deploy.SparkSubmit)
  fi
  local jar
  jar="$(app_jar)"
  if [[ -z "${jar}" ]]; then
    if [[ "${DRY_RUN}" == true ]]; then
      jar="${TARGET}/ropeforge-0.1.0-app.jar"
    else
      ensure_built
      jar="$(app_jar)"
    fi
  fi
  submit+=(--class "${main_class}")
  if [[ -n "${master}" ]]; then
    submit+=(--master "${master}")
  fi
  if [[ -n "${deploy_mode}" ]]; then
    submit+=(--deploy-mode "${deploy_mode}")
  fi
  if [[ -n "${properties_file}" ]]; then
    submit+=(--properties-file "${properties_file}")
  fi
  run_or_print "${submit[@]}" "${conf_args[@]+"${conf_args[@]}"}" "${jar}" \
      "${job_args[@]+"${job_args[@]}"}"
}

main "$@"
