#!/usr/bin/env bash
# Fetch CesiumJS's prebuilt bundle from the npm registry for `orbitgrid export czml --html --cesium DIR`:
# `npm pack` the pinned release and unpack its Build/Cesium (with the offline Natural Earth II imagery) and its
# licence (Apache-2.0; third-party notices in Build/Cesium/ThirdParty) into build/cesium (git-ignored).
set -euo pipefail
version="${CESIUM_VERSION:-1.145.0}"
dest="${1:-$(dirname "$0")/../build/cesium}"
if [ -f "$dest/Cesium.js" ] && [ "$(cat "$dest/VERSION" 2>/dev/null)" = "$version" ]; then
    echo "$dest"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "cesium@$version" >/dev/null)
tar xzf "$tmp/cesium-$version.tgz" -C "$tmp" package/Build/Cesium package/LICENSE.md
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$tmp/package/Build/Cesium" "$dest"
cp "$tmp/package/LICENSE.md" "$dest/LICENSE.md"
echo "$version" > "$dest/VERSION"
echo "$dest"
