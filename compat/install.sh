#!/usr/bin/env bash
# Installs what the Paperclip compatibility lane drives into .compat-cache/ (gitignored), one folder
# per package so the two CLI versions never share a dependency tree:
#   .compat-cache/paperclipai-<version>/   the real `paperclipai` CLI, 2026.707.0 and 2026.916.1
#   .compat-cache/node-<version>/          Node 24 (2026.916.1 needs Node >= 24.11; the lane runs on Node 20)
# Install scripts are ignored: the CLIs' client commands run without them, and Node comes from the
# platform package (node-<platform>-<arch>) that the `node` package's own install script would fetch.
# A folder that already holds the right version is kept, so a warm cache (CI caching .compat-cache/)
# costs nothing; a cold install takes a few minutes (two CLIs of several hundred packages each).
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${COMPAT_CACHE:-$PWD/.compat-cache}"
CLI_VERSIONS=(2026.707.0 2026.916.1)
NODE_VERSION=24.21.0

install_one() { # <folder> <package> <version>
  local dir="$CACHE/$1" pkg="$2" version="$3"
  # The marker is written only after npm succeeded: an interrupted install is redone, not trusted.
  if [[ "$(cat "$dir/.installed" 2>/dev/null)" == "$pkg@$version" ]]; then
    echo "compat: $pkg@$version already in $dir"
    return
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  echo '{"private":true}' >"$dir/package.json"
  echo "compat: installing $pkg@$version into $dir"
  # Optional dependencies are platform binaries of coding-agent SDKs and embedded Postgres that the
  # CLI's client commands never load: leaving them out halves the download.
  npm install --prefix "$dir" --ignore-scripts --omit=optional --no-audit --no-fund --no-save --loglevel=error "$pkg@$version"
  echo "$pkg@$version" >"$dir/.installed"
}

for version in "${CLI_VERSIONS[@]}"; do
  install_one "paperclipai-$version" paperclipai "$version"
done

# paperclipai 2026.916.1's server (compat/paperclip-db-import-2026.916.1.test.ts starts it) loads sharp
# at start; sharp's platform binaries are optional dependencies, left out above: install just those
# two in their own folder and link them into that tree (an npm install there would prune it).
pc916="$CACHE/paperclipai-2026.916.1/node_modules"
sharp_platform=$(node -p 'process.platform + "-" + process.arch')
sharp_version=$(node -p "require('$pc916/sharp/package.json').version")
libvips_version=$(node -p "require('$pc916/sharp/package.json').optionalDependencies['@img/sharp-libvips-$sharp_platform'] ?? ''")
sharp_dir="$CACHE/sharp-$sharp_platform-$sharp_version"
if [[ "$(cat "$sharp_dir/.installed" 2>/dev/null)" != "$sharp_version" ]]; then
  rm -rf "$sharp_dir"
  mkdir -p "$sharp_dir"
  echo '{"private":true}' >"$sharp_dir/package.json"
  echo "compat: installing sharp $sharp_version binaries for $sharp_platform into $sharp_dir"
  npm install --prefix "$sharp_dir" --ignore-scripts --no-audit --no-fund --no-save --loglevel=error \
    "@img/sharp-$sharp_platform@$sharp_version" ${libvips_version:+"@img/sharp-libvips-$sharp_platform@$libvips_version"}
  echo "$sharp_version" >"$sharp_dir/.installed"
fi
mkdir -p "$pc916/@img"
for pkg in "$sharp_dir"/node_modules/@img/*; do
  ln -sfn "$pkg" "$pc916/@img/$(basename "$pkg")"
done

node_pkg="node-$(node -p 'process.platform + "-" + process.arch')"
install_one "node-$NODE_VERSION" "$node_pkg" "$NODE_VERSION"
node24="$CACHE/node-$NODE_VERSION/node_modules/$node_pkg/bin/node"
echo "compat: node $("$node24" --version) at $node24"
