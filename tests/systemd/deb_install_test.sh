#!/usr/bin/env bash
# Installs the Debian package (built by deb_test.sh) with dpkg under a real systemd in private
# namespaces (nslib.sh), with overlays on /usr, /etc and /var/lib so nothing reaches the host,
# and runs the maintainer scripts for real:
#   dpkg -i      user + groups + /var/lib/edgesoak created, unit loaded (daemon-reload),
#                service neither enabled nor started
#   enable --now the packaged unit runs (a fast configuration written into the conffile)
#   dpkg -r      prerm stops the service (run closed as `stopped`); data and conffile kept
#   dpkg -P      conffile and enablement symlink gone, recorded data still kept
#   dpkg -i      again: the same configuration resumes the stopped run as a new segment
# Usage: deb_install_test.sh BUILD_DIR      Exit 77 = skipped.
set -uo pipefail

BUILD=$(cd "${1:?usage: deb_install_test.sh BUILD_DIR}" && pwd)
source "$(dirname "$0")/nslib.sh"
ns_preflight dpkg sqlite3
DEB=$(cat "$BUILD/systemd-deb-test.path" 2>/dev/null)
[[ -f $DEB ]] || skip "no edgesoak_*.deb (systemd.deb builds it)"
ns_init "$BUILD" deb-install-test
mkdir -p "$W/usr-upper" "$W/usr-work" "$W/varlib-upper" "$W/varlib-work"
cp "$DEB" "$W/edgesoak.deb"

# The packaged unit is used as shipped; the drop-in only adapts it to the namespace.
mkdir -p "$W/units/edgesoak.service.d"
cat >"$W/units/edgesoak.service.d/50-test.conf" <<'EOF'
[Unit]
DefaultDependencies=no
[Service]
LimitCORE=0
EOF
cat >"$W/boot-extra.sh" <<EOF
mount -t overlay overlay -o lowerdir=/usr,upperdir=$W/usr-upper,workdir=$W/usr-work /usr
mount -t overlay overlay -o lowerdir=/var/lib,upperdir=$W/varlib-upper,workdir=$W/varlib-work /var/lib
EOF
ns_boot

fast_config() {
  ns sh -c 'cat >/etc/edgesoak/edgesoak.yaml' <<'EOF'
version: 1
run:
  name: deb-test
  duration: 30m
workload:
  model: squeezenet1_1
  threads: 1
  rate: 20
probes:
  interval: 500ms
storage:
  commit_interval: 200ms
EOF
}
DBF=$W/varlib-upper/edgesoak/edgesoak.db
db() { sqlite3 -readonly "$DBF" "$@"; }

log "dpkg -i $(basename "$DEB")"
ns dpkg -i "$W/edgesoak.deb" >"$W/dpkg-i.log" 2>&1 || { cat "$W/dpkg-i.log"; fail "dpkg -i"; exit 1; }
grep -q "installed; edit /etc/edgesoak/edgesoak.yaml" "$W/dpkg-i.log" || fail "postinst message"
ns id edgesoak >/dev/null || fail "postinst did not create the edgesoak user"
ns id -nG edgesoak | grep -qw i2c || fail "edgesoak not in i2c"
ns id -nG edgesoak | grep -qw video || fail "edgesoak not in video"
[[ $(ns stat -c '%U %a' /var/lib/edgesoak) == "edgesoak 750" ]] || fail "state directory: $(ns stat -c '%U %a' /var/lib/edgesoak)"
[[ $(prop LoadState) == loaded ]] || fail "unit not loaded after postinst (LoadState=$(prop LoadState))"
[[ $(prop FragmentPath) == /lib/systemd/system/edgesoak.service ]] || fail "FragmentPath $(prop FragmentPath)"
[[ $(prop UnitFileState) == disabled ]] || fail "postinst enabled the unit ($(prop UnitFileState))"
[[ $(prop ActiveState) == inactive ]] || fail "postinst started the unit ($(prop ActiveState))"

log "systemctl enable --now edgesoak"
fast_config
ns systemctl enable --now edgesoak.service >/dev/null 2>&1 || fail "enable --now"
is_active || fail "not active after enable --now"
wait_for 20 bash -c "nsenter -t $SDPID -m -p -- systemctl show -p StatusText --value edgesoak.service | grep -Eq ' [1-9][0-9]* inf'" ||
  fail "no STATUS= with inferences ($(prop StatusText))"
ns test -L /etc/systemd/system/multi-user.target.wants/edgesoak.service || fail "enable symlink"
RUN=$(db "SELECT id FROM runs ORDER BY id DESC LIMIT 1")

log "dpkg -r edgesoak"
ns dpkg -r edgesoak >"$W/dpkg-r.log" 2>&1 || { cat "$W/dpkg-r.log"; fail "dpkg -r"; }
[[ $(prop ActiveState) != active ]] || fail "prerm did not stop the service"
[[ $(db "SELECT status FROM runs WHERE id=$RUN") == stopped ]] || fail "run not closed as stopped by prerm"
ns test -e /usr/sbin/edgesoakd && fail "edgesoakd still installed after remove"
ns test -f /etc/edgesoak/edgesoak.yaml || fail "conffile removed on remove (must stay until purge)"
ns test -f /var/lib/edgesoak/edgesoak.db || fail "recorded data deleted on remove"

log "dpkg -P edgesoak"
ns dpkg -P edgesoak >"$W/dpkg-p.log" 2>&1 || { cat "$W/dpkg-p.log"; fail "dpkg -P"; }
grep -q "recorded data kept in /var/lib/edgesoak" "$W/dpkg-p.log" || fail "postrm purge message"
ns test -e /etc/edgesoak/edgesoak.yaml && fail "conffile still there after purge"
ns test -e /etc/systemd/system/multi-user.target.wants/edgesoak.service && fail "enable symlink left after purge"
ns test -f /var/lib/edgesoak/edgesoak.db || fail "recorded data deleted on purge"

log "dpkg -i again: the stopped run resumes"
ns dpkg -i "$W/edgesoak.deb" >"$W/dpkg-i2.log" 2>&1 || { cat "$W/dpkg-i2.log"; fail "dpkg -i (again)"; }
fast_config
ns systemctl start edgesoak.service || fail "start after reinstall"
wait_for 10 bash -c "[[ \$(sqlite3 -readonly '$DBF' \"SELECT count(*) FROM segments WHERE run_id=$RUN\") -ge 2 ]]" ||
  fail "run $RUN not resumed after reinstall"
ns systemctl stop edgesoak.service
[[ $(db "PRAGMA integrity_check") == ok ]] || fail "integrity_check"

if ((FAILS > 0)); then
  echo "$FAILS check(s) failed"
  exit 1
fi
log "all checks passed"
exit 0
