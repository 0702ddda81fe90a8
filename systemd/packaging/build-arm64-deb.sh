#!/usr/bin/env bash
# Cross-builds edgesoak_<version>_arm64.deb on an amd64 Debian 12 host (multiarch):
# installs the cross compiler and the arm64 -dev packages, configures for aarch64 with prefix
# /usr, builds, and runs cpack with DEB_HOST_ARCH=arm64 so dpkg-shlibdeps resolves the arm64
# libraries. Run as root from the repository root:
#   bash systemd/packaging/build-arm64-deb.sh [BUILD_DIR]        (default build/arm64)
#   ES_SANDBOX=1 bash systemd/packaging/build-arm64-deb.sh       same, but in a private mount
#       namespace with overlays on /usr /etc /var/lib /var/cache /var/log (under BUILD_DIR), so
#       the host gets neither the arm64 architecture nor any package (how it was verified)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(realpath -m "${1:-$SRC/build/arm64}")
if [[ ${ES_SANDBOX:-0} == 1 && -z ${ES_IN_SANDBOX:-} ]]; then
  mkdir -p "$BUILD"
  exec unshare -m env ES_IN_SANDBOX=1 bash -c '
    set -e
    mount --make-rprivate /
    for d in usr etc var/lib var/cache var/log; do
      n=${d//\//-}
      mkdir -p "$1/sandbox/$n-upper" "$1/sandbox/$n-work"
      mount -t overlay overlay -o "lowerdir=/$d,upperdir=$1/sandbox/$n-upper,workdir=$1/sandbox/$n-work" "/$d"
    done
    exec bash "$0" "$1"' "$0" "$BUILD"
fi
dpkg --add-architecture arm64
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  g++-aarch64-linux-gnu cmake ninja-build pkg-config file \
  libsqlite3-dev:arm64 libyaml-cpp-dev:arm64 libspdlog-dev:arm64 libfmt-dev:arm64 \
  libboost-program-options-dev:arm64 libboost-dev:arm64 libsystemd-dev:arm64 \
  libsensors-dev:arm64 libcairo2-dev:arm64 librsvg2-dev:arm64 libi2c-dev:arm64 >/dev/null
export PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig
cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64 \
  -DCMAKE_C_COMPILER=aarch64-linux-gnu-gcc -DCMAKE_CXX_COMPILER=aarch64-linux-gnu-g++ \
  -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_BUILD_TYPE=Release -DES_BUILD_TESTS=OFF -DES_BUILD_BENCH=OFF
cmake --build "$BUILD" -j"${JOBS:-2}"
(cd "$BUILD" && DEB_HOST_ARCH=arm64 cpack -G DEB)
file "$BUILD/daemon/edgesoakd"
ls -l "$BUILD"/edgesoak_*_arm64.deb
