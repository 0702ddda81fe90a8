#!/usr/bin/env bash
# Builds the Debian package with cpack and checks it with dpkg-deb -c/-I/-e.
# A package must be configured with CMAKE_INSTALL_PREFIX=/usr (the unit holds absolute paths).
# When BUILD_DIR is (the dev preset uses /usr/local), a side tree is configured with /usr and
# given BUILD_DIR's programs (they do not depend on the prefix), so no second compile is needed.
# Usage: deb_test.sh BUILD_DIR SOURCE_DIR      Exit 77 = skipped (no dpkg-deb).
set -uo pipefail
BUILD=$(cd "${1:?usage: deb_test.sh BUILD_DIR SOURCE_DIR}" && pwd)
SRC=$(cd "${2:?usage: deb_test.sh BUILD_DIR SOURCE_DIR}" && pwd)
for tool in dpkg-deb dpkg-shlibdeps cpack; do
  command -v $tool >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done
[[ -x $BUILD/daemon/edgesoakd && -x $BUILD/daemon/cli/edgesoak ]] || { echo "SKIP: programs not built"; exit 77; }
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

PKG=$BUILD
if [[ $(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$BUILD/CMakeCache.txt") != /usr ]]; then
  PKG=$BUILD/deb-test-tree
  # Re-run every time (seconds once cached) so install rules follow the sources.
  cmake -S "$SRC" -B "$PKG" -G Ninja -DCMAKE_INSTALL_PREFIX=/usr -DES_BUILD_TESTS=OFF \
    -DES_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$BUILD/deb-test-configure.log" 2>&1 ||
    { cat "$BUILD/deb-test-configure.log"; exit 1; }
  mkdir -p "$PKG/daemon/cli"
  cp "$BUILD/daemon/edgesoakd" "$PKG/daemon/edgesoakd"
  cp "$BUILD/daemon/cli/edgesoak" "$PKG/daemon/cli/edgesoak"
fi
rm -f "$PKG"/edgesoak_*.deb
(cd "$PKG" && cpack -G DEB >cpack.log 2>&1) || { cat "$PKG/cpack.log"; exit 1; }
DEB=$(ls "$PKG"/edgesoak_*.deb 2>/dev/null | head -1)
[[ -f $DEB ]] || { fail "no edgesoak_<version>_<arch>.deb"; exit 1; }
arch=$(dpkg --print-architecture)
[[ $(basename "$DEB") =~ ^edgesoak_[0-9]+\.[0-9]+\.[0-9]+_${arch}\.deb$ ]] || fail "file name $(basename "$DEB")"
echo "== $(basename "$DEB")"
echo "$DEB" >"$BUILD/systemd-deb-test.path" # for deb_install_test.sh

contents=$(dpkg-deb -c "$DEB")
echo "$contents" | awk '{print $1, $2, $6}'
for path in ./usr/sbin/edgesoakd ./usr/bin/edgesoak ./etc/edgesoak/edgesoak.yaml \
  ./lib/systemd/system/edgesoak.service ./usr/lib/sysusers.d/edgesoak.conf \
  ./usr/lib/tmpfiles.d/edgesoak.conf; do
  echo "$contents" | grep -q " $path\$" || fail "package lacks $path"
done
echo "$contents" | grep -q ' \./var/lib/edgesoak' && fail "package must not ship /var/lib/edgesoak (data)"

info=$(dpkg-deb -I "$DEB")
echo "$info" | sed -n '/Package:/,$p'
echo "$info" | grep -q "^ Package: edgesoak$" || fail "Package:"
echo "$info" | grep -q "^ Architecture: $arch$" || fail "Architecture:"
for dep in libsqlite3 libsystemd0 libyaml-cpp libstdc++6 'systemd | adduser'; do
  echo "$info" | grep "^ Depends:" | grep -qF "$dep" || fail "Depends lacks $dep"
done

ctl=$(mktemp -d "$BUILD/deb-control.XXXXXX")
trap 'rm -rf "$ctl"' EXIT
dpkg-deb -e "$DEB" "$ctl"
ls -l "$ctl"
[[ $(cat "$ctl/conffiles") == /etc/edgesoak/edgesoak.yaml ]] || fail "conffiles: $(cat "$ctl/conffiles")"
for s in postinst prerm postrm; do
  [[ -x $ctl/$s ]] || fail "$s missing or not executable"
  sh -n "$ctl/$s" || fail "$s: syntax"
done
grep -q 'systemd-sysusers "$SYSUSERS"' "$ctl/postinst" || fail "postinst does not run systemd-sysusers"
grep -q 'SYSUSERS=/usr/lib/sysusers.d/edgesoak.conf' "$ctl/postinst" || fail "postinst sysusers path"
grep -q 'adduser --quiet --system' "$ctl/postinst" || fail "postinst has no adduser fallback"
grep -q 'systemd-tmpfiles --create' "$ctl/postinst" || fail "postinst does not run tmpfiles"
grep -q 'daemon-reload' "$ctl/postinst" || fail "postinst does not daemon-reload"
grep -Ev '^\s*(#|echo)' "$ctl/postinst" | grep -Eq 'systemctl .*(enable|start)' && fail "postinst enables or starts the service"
grep -q 'systemctl --system stop edgesoak.service' "$ctl/prerm" || fail "prerm does not stop the service"
grep -Ev '^\s*#' "$ctl/postrm" | grep -q 'rm .*/var/lib/edgesoak' && fail "postrm deletes recorded data"

# The unit inside the package points at the package's paths.
unit_dir=$(mktemp -d "$BUILD/deb-data.XXXXXX")
trap 'rm -rf "$ctl" "$unit_dir"' EXIT
dpkg-deb -x "$DEB" "$unit_dir"
grep -q '^ExecStart=/usr/sbin/edgesoakd --config /etc/edgesoak/edgesoak.yaml$' "$unit_dir/lib/systemd/system/edgesoak.service" ||
  fail "packaged unit ExecStart: $(grep ExecStart= "$unit_dir/lib/systemd/system/edgesoak.service")"
grep -q '^ConfigurationDirectory=edgesoak$' "$unit_dir/lib/systemd/system/edgesoak.service" || fail "ConfigurationDirectory"
exit $((fails > 0))
