#!/usr/bin/env bash
# Installs what the interop tests run against, from Debian's packages, and extracts the kernel's
# kernel-doc and checkpatch.pl, and its include/ trees (the real kernel tree `check --header` is
# tested on), from Debian's linux-source-6.1 into .cache/. Idempotent and quick when everything is
# already there; nothing from the kernel is committed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(gcc libc6-dev device-tree-compiler libfdt-dev dwarves linux-source-6.1 chromium python3-sphinx)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-interop: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-interop: installing Debian packages needs root (apt-get install ${missing[*]})" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

scripts=.cache/kernel-scripts
if [ ! -x "$scripts/kernel-doc" ] || [ ! -f "$scripts/checkpatch.pl" ]; then
  tarball=$(ls /usr/src/linux-source-6.1.tar.* | head -n 1)
  echo "setup-interop: extracting kernel-doc and checkpatch.pl from $tarball"
  tmp=$(mktemp -d)
  tar -xf "$tarball" -C "$tmp" --wildcards \
    '*/scripts/kernel-doc' '*/scripts/checkpatch.pl' '*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch'
  mkdir -p "$scripts"
  cp "$tmp"/*/scripts/{kernel-doc,checkpatch.pl,spelling.txt,const_structs.checkpatch} "$scripts/"
  chmod +x "$scripts/kernel-doc" "$scripts/checkpatch.pl"
  rm -rf "$tmp"
fi

# The headers of a real kernel tree (about ten seconds to extract): include/ and the x86 and arm64
# arch includes, kept as the tarball has them; test/kernel-header.test.ts adds its own files.
headers=.cache/linux-6.1-headers
if [ ! -f "$headers/.extracted" ]; then
  tarball=$(ls /usr/src/linux-source-6.1.tar.* | head -n 1)
  echo "setup-interop: extracting the kernel's include trees from $tarball"
  mkdir -p "$headers"
  tar -xf "$tarball" -C "$headers" --strip-components=1 \
    linux-source-6.1/include linux-source-6.1/arch/x86/include linux-source-6.1/arch/arm64/include
  touch "$headers/.extracted"
fi
