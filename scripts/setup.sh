#!/usr/bin/env bash
# Installs the Debian 12 packages enrolsim builds, runs and tests with; idempotent.
set -euo pipefail
pkgs=(build-essential cmake pkg-config git openssl libssl-dev libglib2.0-dev libevent-dev
      libhttp-parser-dev libns3-dev ns3 libgsl-dev libxml2-dev libsqlite3-dev valgrind
      libjson-glib-dev gnuplot-nox tshark curl libjemalloc-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  # tshark's package asks whether non-root users may capture; enrolsim only reads pcap files.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi
