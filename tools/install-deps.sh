#!/bin/sh
# Installs the Debian packages listed in tools/deps/*.txt that are missing.
# Safe to run again; does nothing when everything is there.
set -e
cd "$(dirname "$0")/.."
pkgs=$(cat tools/deps/*.txt | sed 's/#.*//' | tr -s ' \n' '\n' | sort -u)
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "installing:$missing"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $missing
