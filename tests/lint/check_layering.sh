#!/usr/bin/env bash
# Enforces the module rules of README "Architecture" on the source text (the second line of
# defence after exact target_link_libraries):
#   - leaf modules (config, probes, workloads, storage) include only themselves and daemon/core;
#   - es_core includes nothing else in the repo; es_analysis never includes service/probes/workloads;
#   - third-party headers stay private: yaml-cpp only in config/*.cpp, sqlite3.h only in
#     daemon/storage/*.cpp, libsensors only in probes/*.cpp;
#   - no "/sys" or "/proc" path literal outside the injectable-root defaults.
set -u
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root" || exit 2
fail=0
report() { echo "layering: $*"; fail=1; }

# forbid DIR PATTERN WHY: no #include matching PATTERN in files under DIR.
forbid() {
  local dir=$1 pattern=$2 why=$3
  [[ -d $dir ]] || return 0
  local hits
  hits=$(grep -rnE --include='*.hpp' --include='*.cpp' --include='*.h' --include='*.cc' \
         "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($pattern)" "$dir" 2>/dev/null)
  if [[ -n $hits ]]; then
    report "$why"
    echo "$hits" | sed 's/^/  /'
  fi
}

forbid daemon/core 'config/|probes/|workloads/|analysis/|daemon/(storage|service|cli)/' \
  "daemon/core must not include other modules"
forbid config 'probes/|workloads/|analysis/|daemon/(storage|service|cli)/' \
  "config is a leaf: only daemon/core"
forbid probes 'config/|workloads/|analysis/|daemon/(storage|service|cli)/' \
  "probes is a leaf and never reads es::config (STYLE rule 3)"
forbid workloads 'config/|probes/|analysis/|daemon/(storage|service|cli)/' \
  "workloads is a leaf: only daemon/core"
forbid workloads/kernels 'workloads/[a-z_]+\.hpp|spdlog|fmt/|yaml|sqlite' \
  "es_kernels has no third-party dependencies and does not include es_workloads"
forbid daemon/storage 'config/|probes/|workloads/|analysis/|daemon/(service|cli)/' \
  "storage is a leaf: only daemon/core"
forbid analysis 'probes/|workloads/|config/|daemon/(service|cli)/' \
  "analysis reads only through daemon/storage (runs on a laptop against a copied DB)"

# Third-party headers private to one module's .cpp files.
private_header() {
  local pattern=$1 allowed=$2 name=$3
  local hits
  hits=$(grep -rlE --include='*.hpp' --include='*.cpp' --include='*.h' \
         "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($pattern)" \
         daemon config probes workloads analysis 2>/dev/null | grep -vE "$allowed" || true)
  if [[ -n $hits ]]; then
    report "$name may only be included from $allowed"
    echo "$hits" | sed 's/^/  /'
  fi
}
private_header 'yaml-cpp/' '^config/[^/]+\.cpp$' "yaml-cpp"
private_header 'sqlite3\.h' '^daemon/storage/([^/]+\.cpp|sqlite\.hpp)$' "sqlite3.h"
private_header 'sensors/' '^probes/.*\.cpp$' "libsensors"
# ...and the module-private wrapper around SQLite is not included from outside storage.
hits=$(grep -rlE '#[[:space:]]*include[[:space:]]*"daemon/storage/sqlite\.hpp"' \
       daemon config probes workloads analysis 2>/dev/null | grep -v '^daemon/storage/' || true)
if [[ -n $hits ]]; then
  report "daemon/storage/sqlite.hpp is private to es_storage"
  echo "$hits" | sed 's/^/  /'
fi

# No hard-coded /sys or /proc paths: every probe reads through an injectable root.
hits=$(grep -rnE --include='*.hpp' --include='*.cpp' '"/(sys|proc)(/|")' \
       daemon probes workloads analysis config 2>/dev/null |
       grep -vE "^(config/config\.hpp|probes/sysfs_reader\.(hpp|cpp)|probes/probe_set\.hpp|daemon/core/time\.cpp):" || true)
if [[ -n $hits ]]; then
  report "hard-coded /sys or /proc path (use SysfsReader and the configured roots)"
  echo "$hits" | sed 's/^/  /'
fi

if ((fail)); then
  exit 1
fi
echo "layering: ok"
