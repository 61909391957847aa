#!/usr/bin/env bash
# Installs the Debian 12 packages enrolsim builds, runs and tests with, and a decimal-comma
# locale for the recorder's locale test; idempotent.
set -euo pipefail
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
pkgs=(build-essential cmake pkg-config git openssl libssl-dev libglib2.0-dev libevent-dev
      libhttp-parser-dev libns3-dev ns3 libgsl-dev libxml2-dev libsqlite3-dev sqlite3 valgrind
      libjson-glib-dev gnuplot-nox tshark curl libjemalloc-dev locales python3
      python3-prometheus-client munge slurmctld slurmd slurm-client socat)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $sudo apt-get update -q
  # tshark's package asks whether non-root users may capture; enrolsim only reads pcap files.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi
# de_DE.UTF-8 prints 0.5 as "0,5": test_recorder_locale checks that result files do not. Listed
# in /etc/locale.gen, it survives the locale-gen that an upgrade of the locales package runs.
if ! locale -a 2>/dev/null | grep -qix 'de_DE\.utf-\?8'; then
  if grep -q '^# *de_DE\.UTF-8 UTF-8' /etc/locale.gen; then
    $sudo sed -i 's/^# *\(de_DE\.UTF-8 UTF-8\)/\1/' /etc/locale.gen
  elif ! grep -q '^de_DE\.UTF-8 UTF-8' /etc/locale.gen; then
    echo 'de_DE.UTF-8 UTF-8' | $sudo tee -a /etc/locale.gen >/dev/null
  fi
  $sudo locale-gen
fi
