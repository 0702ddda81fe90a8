#!/usr/bin/env bash
# Cross-builds es_kernels and its tests for aarch64 (ES_KERNELS_ONLY) and runs them under
# qemu-user with three CPU models: cortex-a53 (NEON only), cortex-a72 (NEON only) and
# cortex-a76 (NEON + dotprod). Dot-product tests skip on the first two and run on the third.
# Exits non-zero on any build or test failure. Usage: tests/arm/run-qemu.sh [build-dir] [jobs]
set -euo pipefail

src_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build_dir="${1:-${src_dir}/build-aarch64}"
jobs="${2:-2}"
sysroot=/usr/aarch64-linux-gnu

for tool in aarch64-linux-gnu-g++ aarch64-linux-gnu-gcc qemu-aarch64 cmake ctest; do
  command -v "$tool" >/dev/null || { echo "run-qemu.sh: missing $tool" >&2; exit 2; }
done

cmake -S "$src_dir" -B "$build_dir" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_SYSTEM_NAME=Linux \
  -DCMAKE_SYSTEM_PROCESSOR=aarch64 \
  -DCMAKE_C_COMPILER=aarch64-linux-gnu-gcc \
  -DCMAKE_CXX_COMPILER=aarch64-linux-gnu-g++ \
  -DCMAKE_FIND_ROOT_PATH="$sysroot" \
  -DCMAKE_CROSSCOMPILING_EMULATOR="qemu-aarch64;-L;$sysroot" \
  -DES_KERNELS_ONLY=ON -DES_BUILD_BENCH=OFF -DES_BUILD_TESTS=ON
cmake --build "$build_dir" -j "$jobs" --target test_kernels

status=0
for cpu in cortex-a53 cortex-a72 cortex-a76; do
  echo "=== QEMU_CPU=$cpu ==="
  if ! QEMU_CPU="$cpu" QEMU_LD_PREFIX="$sysroot" ctest --test-dir "$build_dir" -L kernel \
      --output-on-failure -j "$jobs"; then
    echo "=== QEMU_CPU=$cpu: FAILED ===" >&2
    status=1
  fi
done
# The dotprod path must really run on the a76 model (coverage guard + skips elsewhere).
QEMU_CPU=cortex-a76 QEMU_LD_PREFIX="$sysroot" qemu-aarch64 -L "$sysroot" \
  "$build_dir/tests/unit/kernels/test_kernels" --gtest_filter='AllIsas/OpsTest.ConvPointwiseOddShapes/neondot' \
  | grep -q '\[  PASSED  \] 1 test' || { echo "neondot did not run on cortex-a76" >&2; status=1; }
exit $status
