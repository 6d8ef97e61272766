#!/usr/bin/env bash
# The Kubernetes smoke test: Herald's image built offline with its Dockerfile, its default command
# (the embedded app) run once (REGISTER and /health/ready), then the chart installed into a real
# throw-away one-node Kubernetes on this machine and checked from the host:
#   1. every pod Ready and the migration Job completed (its tables exist);
#   2. every pod answers /health/ready and /metrics with 200;
#   3. a REGISTER, a login and an IM go through the edge's Service (test/k8s/smoke-client.ts);
#   4. `helm upgrade` to a changed value rolls every pod and keeps the data (the buddy and an IM
#      stored before the upgrade are there after it);
#   5. `helm test` passes.
# Kafka and PostgreSQL run on the host, on the pods' gateway address. Everything is torn down at the
# end, failed or not (scripts/k8s/down.sh). Root; a missing tool is installed (apt-get, go).
# Slow parts are cached under ~/.cache/herald-k8s (HERALD_K8S_CACHE): Kubernetes (10-15 min cold on
# 2 cores), the base images and the Dockerfile's layers. See docs/deploy.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-node.sh
source scripts/k8s/common.sh

NAMESPACE=herald-smoke
RELEASE=herald
HELM_TIMEOUT=5m
[ "$(id -u)" -eq 0 ] || { k8s_log "the smoke test needs root (network, containers)"; exit 1; }

timings=()
phase_started=$SECONDS
phase() { # closes the running phase's timing and names the next
  [ -n "${phase_name:-}" ] && timings+=("$phase_name: $((SECONDS - phase_started)) s")
  phase_name=$1
  phase_started=$SECONDS
  printf '\n== %s\n' "$1"
}

work="$(mktemp -d /tmp/herald-k8s-smoke-XXXXXX)"
kafka_state=''
postgres_state=''
teardown() {
  local status=$?
  if [ "$status" -ne 0 ] && [ -f "$K8S_STATE/admin.conf" ]; then
    k8s_log "failed; the cluster's state before teardown:"
    KUBECONFIG="$K8S_STATE/admin.conf" "$KUBECTL" get pods,jobs,events -A -o wide 2>&1 | tail -n 60 >&2 || true
    for log in "$K8S_STATE"/logs/*.log; do [ -f "$log" ] && { echo "--- $log" >&2; tail -n 15 "$log" >&2; }; done
  fi
  [ -n "$kafka_state" ] && bash scripts/kafka.sh stop "$kafka_state"
  [ -n "$postgres_state" ] && bash scripts/postgres.sh stop "$postgres_state"
  bash scripts/k8s/down.sh
  rm -rf "$work"
  exit "$status"
}
trap teardown EXIT
trap 'exit 130' INT TERM
# A cluster left behind by a run that was killed outright goes first.
bash scripts/k8s/down.sh

phase "Kubernetes $K8S_VERSION binaries"
bash scripts/k8s/build-k8s.sh >/dev/null
phase "Herald's image"
bash scripts/k8s/build-image.sh >/dev/null
npx esbuild test/k8s/smoke-client.ts --bundle --platform=node --target=node24 --conditions=types \
  --log-level=warning --outfile="$work/smoke-client.cjs"
phase "the image's default command (embedded) serves"
bash scripts/k8s/check-embedded-image.sh "$work/smoke-client.cjs"
ensure_helm() {
  # The chart checks build the pinned helm (scripts/check-chart.sh); reuse it.
  HELM="${HERALD_CHART_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/herald/chart}/go-bin/helm"
  [ -x "$HELM" ] || bash scripts/check-chart.sh >/dev/null
}
ensure_helm

phase "cluster up"
export KUBECONFIG
KUBECONFIG="$(bash scripts/k8s/up.sh)"
export HELM_CACHE_HOME="$work/helm/cache" HELM_CONFIG_HOME="$work/helm/config" HELM_DATA_HOME="$work/helm/data"

phase "Kafka and PostgreSQL on $POD_GATEWAY"
kafka_state="$(mktemp -d /tmp/herald-k8s-kafka-XXXXXX)"
kafka_brokers="$(KAFKA_HOST=$POD_GATEWAY bash scripts/kafka.sh start "$kafka_state")"
postgres_state="$(mktemp -d /tmp/herald-k8s-pg-XXXXXX)"
database_url="$(PG_HOST=$POD_GATEWAY PG_TRUST_CIDR=$POD_CIDR bash scripts/postgres.sh start "$postgres_state")"
postgres_port="$(sed 's#.*:\([0-9]*\)/.*#\1#' <<<"$database_url")"

phase "helm install"
release_values=(-f scripts/k8s/smoke-values.yaml --set "kafka.brokers=$kafka_brokers"
  --set "postgres.port=$postgres_port" --set "networkPolicy.kafkaPorts={${kafka_brokers##*:}}")
"$HELM" install "$RELEASE" deploy/helm/herald -n "$NAMESPACE" --create-namespace "${release_values[@]}" \
  --wait --timeout "$HELM_TIMEOUT"

phase "pods Ready, migrations applied"
"$KUBECTL" -n "$NAMESPACE" wait pod --all --for=condition=Ready --timeout=120s
"$KUBECTL" -n "$NAMESPACE" get pods -o wide
# The hook Job is deleted once it succeeds; its Completed event and its tables remain.
"$KUBECTL" -n "$NAMESPACE" get events --field-selector "involvedObject.kind=Job,involvedObject.name=$RELEASE-migrate,reason=Completed" \
  -o name | grep -q . || { k8s_log "no Completed event of the migration Job"; exit 1; }
migrations="$(node -e '
  const { Client } = require("pg");
  const client = new Client({ connectionString: process.argv[1] });
  client.connect().then(() => client.query("SELECT count(*)::int AS n FROM typeorm_migrations"))
    .then((result) => { console.log(result.rows[0].n); return client.end(); })
    .catch((error) => { console.error(error.message); process.exit(1); });' "$database_url")"
[ "$migrations" -gt 0 ] || { k8s_log "the migration Job applied no migration"; exit 1; }
echo "migration Job completed; $migrations migrations applied"

# Every pod's /health/ready and /metrics, from the host, at the pod's address on the bridge.
check_endpoints() {
  local pod ip path status
  while read -r pod ip; do
    for path in /health/ready /metrics; do
      status="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://$ip:9090$path")"
      [ "$status" = 200 ] || { k8s_log "$pod $path answered $status"; return 1; }
    done
    echo "ok - $pod ($ip): /health/ready and /metrics 200"
  done < <("$KUBECTL" -n "$NAMESPACE" get pods -o jsonpath='{range .items[*]}{.metadata.name} {.status.podIP}{"\n"}{end}')
}
phase "health and metrics"
check_endpoints

phase "REGISTER, login and IM through the edge's Service"
edge_ip="$("$KUBECTL" -n "$NAMESPACE" get service "$RELEASE-sip-edge-0" -o jsonpath='{.spec.clusterIP}')"
admin_ip="$("$KUBECTL" -n "$NAMESPACE" get service "$RELEASE-auth-admin" -o jsonpath='{.spec.clusterIP}')"
admin_port="$("$KUBECTL" -n "$NAMESPACE" get service "$RELEASE-auth-admin" -o jsonpath='{.spec.ports[0].port}')"
admin_token="$("$KUBECTL" -n "$NAMESPACE" get secret "$RELEASE-secrets" -o jsonpath='{.data.admin-token}' | base64 -d)"
domain="$("$KUBECTL" -n "$NAMESPACE" get configmap "$RELEASE-config" -o jsonpath='{.data.HERALD_DOMAIN}')"
smoke_client() {
  HERALD_EDGE="$edge_ip:5060" HERALD_CLIENT_ADDRESS="$POD_GATEWAY" HERALD_ADMIN_URL="http://$admin_ip:$admin_port" HERALD_ADMIN_TOKEN="$admin_token" \
    HERALD_DOMAIN="$domain" STATE_FILE="$work/smoke-state.json" node "$work/smoke-client.cjs" "$1"
}
smoke_client before-upgrade

phase "helm upgrade to a changed value"
pods_before="$("$KUBECTL" -n "$NAMESPACE" get pods -o jsonpath='{range .items[*]}{.metadata.uid}{"\n"}{end}' | sort)"
"$HELM" upgrade "$RELEASE" deploy/helm/herald -n "$NAMESPACE" "${release_values[@]}" --set herald.logLevel=debug \
  --wait --timeout "$HELM_TIMEOUT"
# --wait returns once the new pods are Ready; the old ones may still be in their termination grace
# period (the services drain), and a pod on its way out never turns Ready: wait until they are gone.
pod_uids() { "$KUBECTL" -n "$NAMESPACE" get pods -o jsonpath='{range .items[*]}{.metadata.uid}{"\n"}{end}' | sort; }
old_pods_deadline=$((SECONDS + 180))
while [ -n "$(comm -12 <(echo "$pods_before") <(pod_uids))" ]; do
  if [ "$SECONDS" -ge "$old_pods_deadline" ]; then
    k8s_log "pods from before the upgrade are still there 180 s after it"
    exit 1
  fi
  sleep 1
done
"$KUBECTL" -n "$NAMESPACE" wait pod --all --for=condition=Ready --timeout=120s
pods_after="$("$KUBECTL" -n "$NAMESPACE" get pods -o jsonpath='{range .items[*]}{.metadata.uid}{"\n"}{end}' | sort)"
if [ -n "$(comm -12 <(echo "$pods_before") <(echo "$pods_after"))" ]; then
  k8s_log "some pods were not replaced by the upgrade"
  exit 1
fi
log_levels="$("$KUBECTL" -n "$NAMESPACE" get pods \
  -o jsonpath='{range .items[*]}{.spec.containers[0].env[?(@.name=="HERALD_LOG_LEVEL")].value}{"\n"}{end}' | sort -u)"
[ "$log_levels" = debug ] || { k8s_log "after the upgrade the pods' HERALD_LOG_LEVEL is: $log_levels"; exit 1; }
echo "ok - every pod replaced ($(wc -l <<<"$pods_after") pods), each with HERALD_LOG_LEVEL=debug"
check_endpoints
smoke_client after-upgrade

phase "helm test"
"$HELM" test "$RELEASE" -n "$NAMESPACE" --logs --timeout 2m

phase "teardown"
trap - EXIT
bash scripts/kafka.sh stop "$kafka_state"
bash scripts/postgres.sh stop "$postgres_state"
bash scripts/k8s/down.sh
rm -rf "$work"
phase finished
printf '\nk8s-smoke: passed\n'
printf '  %s\n' "${timings[@]}"
