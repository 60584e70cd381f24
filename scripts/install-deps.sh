#!/usr/bin/env bash
# Installs what keepsim needs to build, run and test, from Debian's package archive only, and only what is
# missing (so a second call is quick and needs no network).
set -euo pipefail

packages=(
  cmake g++ make pkg-config git ca-certificates clang-format
  clang-14 libclang-rt-14-dev
  libtbb-dev libhdf5-dev catch2 libtomlplusplus-dev libcli11-dev librandom123-dev
  libopenmpi-dev openmpi-bin
  python3 python3-numpy python3-h5py python3-xarray python3-h5netcdf python3-netcdf4 python3-pandas
  python3-matplotlib python3-pil python3-scipy
  libcpp-httplib-dev chromium chromium-driver python3-selenium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
