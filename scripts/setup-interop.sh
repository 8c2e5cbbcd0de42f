#!/usr/bin/env bash
# Installs what the interop tests run against, from Debian's packages, and extracts the kernel's
# kernel-doc and checkpatch.pl from Debian's linux-source-6.1 into .cache/. Idempotent and quick
# when everything is already there; nothing from the kernel is committed.
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
