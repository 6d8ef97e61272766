#!/usr/bin/env bash
# CI checks of the Helm chart deploy/helm/herald, offline once the tools are cached:
#   1. every key of values.yaml has a comment; the dashboard is valid JSON
#   2. helm lint --strict with the defaults and with ci/production-values.yaml
#   3. helm template with both, validated by kubeconform against the Kubernetes JSON schemas bundled
#      in the PyPI package kubernetes-validate (CRDs such as ServiceMonitor and PrometheusRule skipped)
#   4. the values schema rejects unknown keys (through the real helm binary)
#   5. config parity: every variable the docs list is set by the chart (ci/env-parity.mjs)
#   6. the chart's helm-unittest suites (deploy/helm/herald/tests)
# Tools are built with `go install` (Go module proxy) into $HERALD_CHART_CACHE/go-bin (default
# ~/.cache/herald/chart/go-bin, outside the checkout so every clone on the machine reuses them);
# a fresh machine spends a few minutes building them once.
set -euo pipefail
cd "$(dirname "$0")/.."

HELM_VERSION=v3.22.0
KUBECONFORM_VERSION=v0.8.0
HELM_UNITTEST_VERSION=v1.1.2
KUBERNETES_VALIDATE_VERSION=1.37.0
# The Kubernetes version the manifests are rendered for and validated against.
KUBE_VERSION=1.37.0

CHART=deploy/helm/herald
PRODUCTION_VALUES=$CHART/ci/production-values.yaml
# Every optional setting on: the render that shows every variable the chart can set.
EVERY_SETTING_VALUES=$CHART/ci/every-setting-values.yaml
# The docs whose tables list the environment variables the apps read.
CONFIG_DOCS=(docs/configuration.md docs/admin.md docs/observability.md)
CACHE="${HERALD_CHART_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/herald/chart}"
BIN="$CACHE/go-bin"
SCHEMAS="$CACHE/k8s-schemas/v$KUBE_VERSION-local-strict"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# pip installs into a --target directory of the cache, so its warning about root does not apply.
export PIP_ROOT_USER_ACTION=ignore
# Keep helm's own cache and config out of $HOME.
export HELM_CACHE_HOME="$CACHE/helm/cache" HELM_CONFIG_HOME="$CACHE/helm/config" HELM_DATA_HOME="$CACHE/helm/data"

step() { printf '\n== %s\n' "$*"; }
fail() {
  echo "check-chart: $*" >&2
  exit 1
}

# ensure_tool NAME VERSION COMMAND...: runs COMMAND (which builds $BIN/NAME) unless that version is cached.
ensure_tool() {
  local name=$1 version=$2
  shift 2
  if [ -x "$BIN/$name" ] && [ "$(cat "$BIN/$name.version" 2>/dev/null)" = "$version" ]; then
    return
  fi
  command -v go >/dev/null || fail "Go is needed to build $name (https://go.dev/dl)"
  local started=$SECONDS
  echo "building $name $version (once; takes minutes on a fresh machine)"
  "$@"
  echo "$version" >"$BIN/$name.version"
  echo "built $name $version in $((SECONDS - started))s"
}

build_helm_unittest() {
  # `go install` refuses helm-unittest: its go.mod has a replace directive. Build it as the main
  # module from the module cache (still fetched through the Go module proxy).
  local dir
  dir=$(cd "$WORK" && go mod download -json "github.com/helm-unittest/helm-unittest@$HELM_UNITTEST_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || fail "could not download helm-unittest $HELM_UNITTEST_VERSION"
  (cd "$dir" && GOFLAGS=-buildvcs=false go build -o "$BIN/helm-unittest" ./cmd/helm-unittest)
}

# The schemas of kubernetes-validate refer to https://kubernetes.io/api/_definitions.json through
# their $id; rewrite the references to the local file so kubeconform never goes online.
ensure_schemas() {
  [ -f "$SCHEMAS/.complete" ] && return
  local site="$CACHE/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION"
  if [ ! -d "$site/kubernetes_validate" ]; then
    python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$site" \
      "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
  fi
  local source="$site/kubernetes_validate/kubernetes-json-schema/v$KUBE_VERSION-local-strict"
  [ -d "$source" ] || fail "kubernetes-validate $KUBERNETES_VALIDATE_VERSION has no schemas for $KUBE_VERSION"
  rm -rf "$SCHEMAS" && mkdir -p "$SCHEMAS"
  python3 - "$source" "$SCHEMAS" <<'PY'
import json, os, sys
source, target = sys.argv[1], sys.argv[2]
for name in os.listdir(source):
    with open(os.path.join(source, name)) as f:
        doc = json.loads(f.read().replace('"/api/_definitions.json#', '"_definitions.json#'))
    doc.pop("$id", None)
    with open(os.path.join(target, name), "w") as f:
        json.dump(doc, f)
PY
  touch "$SCHEMAS/.complete"
}

step "tools"
mkdir -p "$BIN"
ensure_tool helm "$HELM_VERSION" env GOBIN="$BIN" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
ensure_tool kubeconform "$KUBECONFORM_VERSION" env GOBIN="$BIN" go install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
ensure_tool helm-unittest "$HELM_UNITTEST_VERSION" build_helm_unittest
ensure_schemas
HELM="$BIN/helm"

step "values.yaml documents every key; the dashboard is JSON"
awk '
  /^[[:space:]]*[A-Za-z][A-Za-z0-9_-]*:/ && previous !~ /^[[:space:]]*#/ { print FILENAME ":" FNR ": no comment above: " $0; bad = 1 }
  { previous = $0 }
  END { exit bad }
' "$CHART/values.yaml" || fail "document every value in values.yaml with a comment above it"
python3 -m json.tool "$CHART/dashboards/herald.json" >/dev/null

validate() {
  "$BIN/kubeconform" -strict -summary -kubernetes-version "$KUBE_VERSION" -skip ServiceMonitor,PrometheusRule \
    -schema-location "$CACHE/k8s-schemas/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    "$@"
}

for values in "" "$PRODUCTION_VALUES" "$EVERY_SETTING_VALUES"; do
  label=${values:-defaults}
  args=(--kube-version "$KUBE_VERSION" ${values:+-f "$values"})
  step "helm lint --strict ($label)"
  "$HELM" lint --strict "$CHART" "${args[@]}"
  step "helm template + kubeconform ($label)"
  "$HELM" template herald "$CHART" --namespace herald "${args[@]}" >"$WORK/rendered.yaml"
  validate "$WORK/rendered.yaml"
done

step "the validator rejects what Kubernetes would"
cat >"$WORK/invalid.yaml" <<'YAML'
apiVersion: v1
kind: Service
metadata:
  name: invalid
spec:
  ports:
    - port: 5060
      protcol: UDP
YAML
if validate "$WORK/invalid.yaml" >/dev/null; then fail "kubeconform accepted a misspelled field"; fi

step "the values schema rejects unknown keys"
if "$HELM" template herald "$CHART" --kube-version "$KUBE_VERSION" --set sipEdge.hostNetwork=true >/dev/null 2>"$WORK/error.txt"; then
  fail "an unknown value key was accepted"
fi
grep -q "additional properties 'hostNetwork' not allowed" "$WORK/error.txt" || {
  cat "$WORK/error.txt" >&2
  fail "an unknown value key failed for another reason"
}
echo "unknown key rejected"

step "config parity: the chart sets every documented variable"
parity() {
  node "$CHART/ci/env-parity.mjs" --exceptions "$CHART/ci/env-parity.yaml" --rendered "$@"
}
"$HELM" template herald "$CHART" --namespace herald --kube-version "$KUBE_VERSION" -f "$EVERY_SETTING_VALUES" \
  >"$WORK/every-setting.yaml"
parity "$WORK/every-setting.yaml" "${CONFIG_DOCS[@]}"
# The check fails on a documented variable the chart does not set, and names the value to add.
printf '| variable | default |\n|---|---|\n| `HERALD_PARITY_PROBE_MS` | `7` |\n' >"$WORK/probe.md"
if parity "$WORK/every-setting.yaml" "${CONFIG_DOCS[@]}" "$WORK/probe.md" 2>"$WORK/error.txt"; then
  fail "the parity check accepted a documented variable the chart does not set"
fi
grep -q "values.yaml: herald.parityProbeMs: 7" "$WORK/error.txt" || {
  cat "$WORK/error.txt" >&2
  fail "the parity check failed without naming the value to add"
}
echo "an unset documented variable is reported"

step "helm-unittest"
"$BIN/helm-unittest" --color=false "$CHART"

echo
echo "check-chart: all chart checks passed"
