#!/usr/bin/env bash
# Installs the Debian 12 packages that loopmc needs, skipping those already
# installed, so a second run is quick. Run as root (or with sudo).
set -euo pipefail

packages=(
  build-essential cmake git pkg-config
  libeigen3-dev libhdf5-dev hdf5-tools libspdlog-dev libtomlplusplus-dev libcli11-dev
  librandom123-dev libboost-dev doctest-dev libbenchmark-dev nlohmann-json3-dev
  libopenmpi-dev openmpi-bin
  clang libclang-rt-14-dev
  python3 python3-h5py python3-matplotlib python3-numpy
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages are installed"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
