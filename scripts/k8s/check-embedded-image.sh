#!/usr/bin/env bash
# The image's default command (the embedded app) starts and serves: runs it as the image says
# (entry point, command, user) in a container of the image on the host's network, every port free or
# ephemeral, on 127.0.0.1 only; once it prints its ready line, /health/ready answers 200 and the demo
# user alice REGISTERs over UDP and logs in (test/k8s/smoke-client.ts, bundled: $1). Root.
set -euo pipefail
source "$(dirname "$0")/common.sh"
smoke_client=${1:?usage: check-embedded-image.sh SMOKE_CLIENT_BUNDLE}
START_TIMEOUT_SECONDS=180

work="$(mktemp -d /tmp/herald-embedded-XXXXXX)"
container="$("${BUILDAH[@]}" from --pull=never "$HERALD_IMAGE")"
run_pid=''
cleanup() {
  if [ -n "$run_pid" ]; then
    kill "$run_pid" 2>/dev/null || true
    wait "$run_pid" 2>/dev/null || true # killed: a non-zero status is expected
  fi
  "${BUILDAH[@]}" rm "$container" >/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}
http_port="$(free_port)"
read -r -a default_command <<<"$("${BUILDAH[@]}" inspect --type image \
  --format '{{range .OCIv1.Config.Entrypoint}}{{.}} {{end}}{{range .OCIv1.Config.Cmd}}{{.}} {{end}}' "$HERALD_IMAGE")"
k8s_log "running the image's default command: ${default_command[*]}"
environment=(--env "HERALD_HTTP_PORT=$http_port" --env "HERALD_PG_PORT=$(free_port)" --env HERALD_ADMIN_PORT=0
  --env HERALD_WEB_PORT=0)
for transport in UDP TCP TLS WS WSS; do environment+=(--env "HERALD_SIP_${transport}_PORT=0"); done
"${BUILDAH[@]}" run --network host "${environment[@]}" "$container" -- "${default_command[@]}" \
  >"$work/herald.log" 2>&1 &
run_pid=$!

deadline=$((SECONDS + START_TIMEOUT_SECONDS))
# The ready line is the JSON log line with code HERALD_READY (libs/runtime/src/ready-line.ts).
until grep -q '"code":"HERALD_READY"' "$work/herald.log"; do
  if ! kill -0 "$run_pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
    k8s_log "the embedded app did not get ready; its output:"
    tail -n 40 "$work/herald.log" >&2
    exit 1
  fi
  sleep 0.5
done
ready="$(grep -m 1 '"code":"HERALD_READY"' "$work/herald.log")"
udp="$(node -e 'const r=JSON.parse(process.argv[1]).ready;console.log(`${r.sip.udp.address}:${r.sip.udp.port} ${r.domain}`)' "$ready")"
status="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$http_port/health/ready")"
[ "$status" = 200 ] || { k8s_log "the embedded app's /health/ready answered $status"; exit 1; }
echo "ok - the embedded app is ready; /health/ready 200"
HERALD_EDGE="${udp% *}" HERALD_DOMAIN="${udp#* }" node "$smoke_client" embedded
