#!/usr/bin/env bash
# A single-node Apache Kafka 4 broker (KRaft, combined broker + controller) for the integration
# tests, run with the machine's Java 17 from Maven Central jars (tools/kafka/pom.xml), on loopback.
#
#   scripts/kafka.sh fetch              copy the jars into .cache/kafka/libs (no-op when cached)
#   scripts/kafka.sh start STATE_DIR    format storage in STATE_DIR, start the broker, wait until it
#                                       serves, print its bootstrap address (127.0.0.1:PORT)
#   scripts/kafka.sh stop STATE_DIR     stop that broker and delete STATE_DIR
#   scripts/kafka.sh crash-restart STATE_DIR
#                                       SIGKILL that broker and start it again on the same storage
#                                       and ports (chaos tests)
#   scripts/kafka.sh start STATE_DIR --secure CERT_DIR
#                                       the same broker with two more listeners for the TLS and SASL
#                                       tests, printed after the plaintext address as
#                                       `sasl_plaintext=127.0.0.1:PORT` (PLAIN, SCRAM-SHA-256 and
#                                       SCRAM-SHA-512, user KAFKA_TEST_SASL_USERNAME with password
#                                       KAFKA_TEST_SASL_PASSWORD) and `ssl=127.0.0.1:PORT` (TLS with
#                                       CERT_DIR/broker.crt and broker.key, unencrypted PKCS#8 PEM; a
#                                       client certificate is optional and, when sent, must chain to
#                                       CERT_DIR/ca.crt)
#
# KAFKA_PORT picks the listener port (default: a free ephemeral one); KAFKA_HOST the address the
# plaintext listener binds and advertises (default 127.0.0.1; the Kubernetes smoke test gives its pods'
# gateway, scripts/k8s-smoke.sh).
set -euo pipefail
HERALD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAFKA_LIBS="$HERALD_ROOT/.cache/kafka/libs"
KAFKA_POM="$HERALD_ROOT/tools/kafka/pom.xml"
# Generous because a cold JVM on a busy 2-core machine takes a while; a warm start is ~5 s.
KAFKA_START_TIMEOUT_SECONDS=120
KAFKA_STOP_TIMEOUT_SECONDS=30
KAFKA_WARM_UP_TIMEOUT_SECONDS=60
# The one user of the --secure SASL listener: a throw-away broker on loopback, for tests only.
KAFKA_TEST_SASL_USERNAME=herald
KAFKA_TEST_SASL_PASSWORD=herald-test-secret

log() { echo "kafka.sh: $*" >&2; }

# Java 17 and Maven come with this kind of machine; a bare Debian one gets them from apt.
ensure_java_and_maven() {
  if command -v java >/dev/null && command -v mvn >/dev/null; then
    return 0
  fi
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    log "needs java (17+) and mvn on PATH"
    return 1
  fi
  log "installing Java 17 and Maven with apt-get"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless maven >&2
}

# The jars are keyed by the pom's content, not its mtime: a fresh checkout (a git worktree, CI's
# clone) has a newer pom with the same versions and must not throw away the cache others use.
fetch() {
  ensure_java_and_maven
  local pom_hash
  pom_hash="$(sha256sum "$KAFKA_POM" | cut -d' ' -f1)"
  if [ -f "$KAFKA_LIBS/.complete" ] && [ "$(cat "$KAFKA_LIBS/.complete")" = "$pom_hash" ]; then
    return 0
  fi
  log "copying the Kafka broker jars from Maven Central into .cache/kafka/libs"
  mkdir -p "$(dirname "$KAFKA_LIBS")"
  # Copied beside the cache and swapped in by rename, so a broker starting meanwhile (another
  # checkout sharing .cache) never sees a half-filled or missing directory.
  local fresh="$KAFKA_LIBS.fetch.$$" stale="$KAFKA_LIBS.stale.$$"
  local mvn_log="$HERALD_ROOT/.cache/kafka/mvn.log"
  rm -rf "$fresh"
  mvn -B -Dstyle.color=never -f "$KAFKA_POM" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$fresh" </dev/null >"$mvn_log" 2>&1 || { tail -n 40 "$mvn_log" >&2; rm -rf "$fresh"; return 1; }
  echo "$pom_hash" >"$fresh/.complete"
  if [ -d "$KAFKA_LIBS" ]; then mv "$KAFKA_LIBS" "$stale"; fi
  mv "$fresh" "$KAFKA_LIBS"
  rm -rf "$stale"
}

# A port nobody listens on right now, chosen by the kernel.
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

start() {
  local state_dir="$1" cert_dir=""
  if [ -n "${2:-}" ]; then
    if [ "$2" != "--secure" ] || [ -z "${3:-}" ]; then
      log "usage: kafka.sh start STATE_DIR [--secure CERT_DIR]"
      return 2
    fi
    cert_dir="$3"
  fi
  fetch
  mkdir -p "$state_dir"
  local host="${KAFKA_HOST:-127.0.0.1}"
  local port="${KAFKA_PORT:-$(free_port)}"
  local controller_port
  controller_port="$(free_port)"
  local listeners="PLAINTEXT://$host:$port"
  local protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  local sasl_port ssl_port format_args=()
  if [ -n "$cert_dir" ]; then
    sasl_port="$(free_port)"
    ssl_port="$(free_port)"
    listeners="$listeners,SASL_PLAINTEXT://127.0.0.1:$sasl_port,SSL://127.0.0.1:$ssl_port"
    protocols="$protocols,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL"
    local mechanism
    for mechanism in SCRAM-SHA-256 SCRAM-SHA-512; do
      format_args+=(--add-scram "$mechanism=[name=$KAFKA_TEST_SASL_USERNAME,password=$KAFKA_TEST_SASL_PASSWORD]")
    done
  fi
  cat >"$state_dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=$listeners,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=$listeners
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocols
log.dirs=$state_dir/data
num.partitions=4
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true
EOF
  if [ -n "$cert_dir" ]; then
    # Kafka reads a PEM key store as one file: the private key, then the certificate.
    cat "$cert_dir/broker.key" "$cert_dir/broker.crt" >"$state_dir/broker-keystore.pem"
    cat >>"$state_dir/server.properties" <<EOF
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$KAFKA_TEST_SASL_USERNAME="$KAFKA_TEST_SASL_PASSWORD";
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.ssl.ssl.keystore.type=PEM
listener.name.ssl.ssl.keystore.location=$state_dir/broker-keystore.pem
listener.name.ssl.ssl.truststore.type=PEM
listener.name.ssl.ssl.truststore.location=$cert_dir/ca.crt
listener.name.ssl.ssl.client.auth=requested
EOF
  fi
  cat >"$state_dir/log4j2.properties" <<EOF
rootLogger.level=INFO
rootLogger.appenderRef.file.ref=file
appender.file.type=File
appender.file.name=file
appender.file.fileName=$state_dir/server.log
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
EOF
  # First-tier compiler only (TieredStopAtLevel=1): a test broker lives seconds to minutes, and the
  # full compiler's warm-up cost more than it saved within a bench step (bench/README.md, Session 8).
  # A production broker keeps the JVM's default (docs/deploy.md).
  local java_opts=(
    -Xms128m -Xmx512m -XX:+UseSerialGC -Xshare:auto -XX:TieredStopAtLevel=1
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$state_dir/log4j2.properties"
  )
  local cluster_id
  # A base64url id may start with '-', which the storage tool reads as an option: draw again then
  # (as Kafka's own Uuid.randomUuid does).
  cluster_id="$(node -e '
    const { randomBytes } = require("crypto");
    let id;
    do id = randomBytes(16).toString("base64url"); while (id.startsWith("-"));
    console.log(id);')"
  java "${java_opts[@]}" -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format \
    -t "$cluster_id" -c "$state_dir/server.properties" "${format_args[@]}" >"$state_dir/format.log" 2>&1 ||
    { cat "$state_dir/format.log" >&2; return 1; }
  printf '%s\n' "${java_opts[@]}" >"$state_dir/java_opts"
  launch "$state_dir"
  # The broker creates its offsets topic and producer-id block lazily: do it now, not in a test.
  # The warm-up runs from source, before any build, so it cannot load libs/bus's createKafkaClient,
  # which fixes kafkajs 2.2.4's request queue (libs/bus/src/kafkajs-request-queue.ts): its client
  # schedules a check at `-1 - Date.now()` ms, which Node runs after 1 ms and reports as
  # TimeoutNegativeWarning. Harmless in a process that lives seconds and exits explicitly; every
  # other client of the repository is made fixed (lint rule), so this is the one place it is silenced.
  (cd "$HERALD_ROOT" && timeout "$KAFKA_WARM_UP_TIMEOUT_SECONDS" node \
    --disable-warning=MODULE_TYPELESS_PACKAGE_JSON --disable-warning=TimeoutNegativeWarning \
    tools/kafka/warm-up.ts "$host:$port") || { log "warm-up failed; see $state_dir/server.log"; return 1; }
  echo "$host:$port"
  if [ -n "$cert_dir" ]; then
    echo "sasl_plaintext=127.0.0.1:$sasl_port"
    echo "ssl=127.0.0.1:$ssl_port"
  fi
}

# Runs the broker of STATE_DIR (formatted, server.properties and java_opts written) in the
# background and waits until it serves.
launch() {
  local state_dir="$1" java_opts
  mapfile -t java_opts <"$state_dir/java_opts"
  # A restart appends to server.log: wait for a start line after the ones already there.
  local starts_before
  starts_before="$(grep -c 'Kafka Server started' "$state_dir/server.log" 2>/dev/null || true)"
  java "${java_opts[@]}" -cp "$KAFKA_LIBS/*" kafka.Kafka "$state_dir/server.properties" \
    >>"$state_dir/stdout.log" 2>&1 </dev/null &
  echo $! >"$state_dir/pid"
  local deadline=$((SECONDS + KAFKA_START_TIMEOUT_SECONDS))
  until [ "$(grep -c 'Kafka Server started' "$state_dir/server.log" 2>/dev/null || true)" -gt "${starts_before:-0}" ]; do
    if ! kill -0 "$(cat "$state_dir/pid")" 2>/dev/null; then
      log "the broker exited during startup; its logs:"
      tail -n 40 "$state_dir/stdout.log" "$state_dir/server.log" >&2 || true
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "the broker did not start within ${KAFKA_START_TIMEOUT_SECONDS}s; see $state_dir/server.log"
      return 1
    fi
    sleep 0.2
  done
}

# A crash and a restart of the broker of STATE_DIR (chaos tests): SIGKILL, then the same broker
# (same storage, same ports) again, serving before this returns.
crash_restart() {
  local state_dir="$1"
  local pid
  pid="$(cat "$state_dir/pid")"
  kill -9 "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  launch "$state_dir"
}

stop() {
  local state_dir="$1"
  if [ -f "$state_dir/pid" ]; then
    local pid
    pid="$(cat "$state_dir/pid")"
    if kill "$pid" 2>/dev/null; then
      local deadline=$((SECONDS + KAFKA_STOP_TIMEOUT_SECONDS))
      while kill -0 "$pid" 2>/dev/null; do
        if [ "$SECONDS" -ge "$deadline" ]; then
          log "the broker ignored SIGTERM for ${KAFKA_STOP_TIMEOUT_SECONDS}s; killing it"
          kill -9 "$pid" 2>/dev/null || true
          break
        fi
        sleep 0.2
      done
    fi
  fi
  rm -rf "$state_dir"
}

case "${1:-}" in
  fetch) fetch ;;
  start) start "${2:?usage: kafka.sh start STATE_DIR [--secure CERT_DIR]}" "${3:-}" "${4:-}" ;;
  stop) stop "${2:?usage: kafka.sh stop STATE_DIR}" ;;
  crash-restart) crash_restart "${2:?usage: kafka.sh crash-restart STATE_DIR}" ;;
  *)
    echo "usage: kafka.sh fetch | start STATE_DIR [--secure CERT_DIR] | stop STATE_DIR | crash-restart STATE_DIR" >&2
    exit 2
    ;;
esac
