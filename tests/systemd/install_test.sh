#!/usr/bin/env bash
# `cmake --install` into a DESTDIR: programs, configuration, unit, sysusers.d and tmpfiles.d
# snippets land where systemd and the unit expect them; the sysusers snippet creates the user
# and groups in a scratch root.   Usage: install_test.sh BUILD_DIR
set -uo pipefail
BUILD=$(cd "${1:?usage: install_test.sh BUILD_DIR}" && pwd)
[[ -x $BUILD/daemon/edgesoakd && -x $BUILD/daemon/cli/edgesoak ]] || { echo "SKIP: programs not built"; exit 77; }
W=$(mktemp -d "$BUILD/install-test.XXXXXX")
trap 'rm -rf "$W"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

DESTDIR=$W/root cmake --install "$BUILD" >"$W/install.log" 2>&1 || { cat "$W/install.log"; exit 1; }
cache() { sed -n "s/^$1:[A-Z]*=//p" "$BUILD/CMakeCache.txt"; }
PREFIX=$(cache CMAKE_INSTALL_PREFIX)
UNIT=$W/root$(cache ES_SYSTEMD_UNIT_DIR)/edgesoak.service
SYSUSERS=$W/root$(cache ES_SYSUSERS_DIR)/edgesoak.conf
TMPFILES=$W/root$(cache ES_TMPFILES_DIR)/edgesoak.conf
(cd "$W/root" && find . -type f | sort)

[[ -f $UNIT ]] || fail "unit missing: $UNIT"
[[ -f $SYSUSERS ]] || fail "sysusers snippet missing: $SYSUSERS"
[[ -f $TMPFILES ]] || fail "tmpfiles snippet missing: $TMPFILES"
exec_path=$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$UNIT")
config=$(sed -n 's/^ExecStart=.* --config \(.*\)$/\1/p' "$UNIT")
[[ $exec_path == "$PREFIX"/* && -x $W/root$exec_path ]] || fail "ExecStart $exec_path not installed"
[[ -f $W/root$config ]] || fail "configuration $config not installed"
[[ -x $W/root$PREFIX/bin/edgesoak ]] || fail "edgesoak not installed in $PREFIX/bin"
grep -Eq '@[A-Z_]+@' "$UNIT" && fail "unconfigured @VARIABLE@ left in the unit"
"$W/root$exec_path" --version >/dev/null || fail "installed edgesoakd --version"
"$W/root$PREFIX/bin/edgesoak" validate "$W/root$config" >/dev/null || fail "installed configuration does not validate"
# ConfigurationDirectory= only when the configuration is in /etc.
if [[ $config == /etc/* ]]; then
  grep -q '^ConfigurationDirectory=edgesoak' "$UNIT" || fail "ConfigurationDirectory missing"
else
  grep -q '^ConfigurationDirectory=' "$UNIT" && fail "ConfigurationDirectory set but config is in $config"
fi

if command -v systemd-sysusers >/dev/null; then
  mkdir -p "$W/sysroot/etc"
  systemd-sysusers --root="$W/sysroot" "$SYSUSERS" || fail "systemd-sysusers rejected the snippet"
  grep -q '^edgesoak:x:[0-9]*:[0-9]*:edgesoak soak and thermal monitor:/var/lib/edgesoak:' "$W/sysroot/etc/passwd" ||
    fail "sysusers: no edgesoak user: $(cat "$W/sysroot/etc/passwd")"
  grep -q '^i2c:x:[0-9]*:edgesoak$' "$W/sysroot/etc/group" || fail "sysusers: edgesoak not in i2c"
  grep -q '^video:x:[0-9]*:edgesoak$' "$W/sysroot/etc/group" || fail "sysusers: edgesoak not in video"
fi
if command -v systemd-tmpfiles >/dev/null; then
  mkdir -p "$W/tmproot/etc" "$W/tmproot/var/lib"
  cp "$W/sysroot/etc/passwd" "$W/sysroot/etc/group" "$W/tmproot/etc/" 2>/dev/null
  systemd-tmpfiles --root="$W/tmproot" --create "$TMPFILES" || fail "systemd-tmpfiles rejected the snippet"
  [[ $(stat -c %a "$W/tmproot/var/lib/edgesoak") == 750 ]] || fail "state directory mode"
fi
exit $((fails > 0))
