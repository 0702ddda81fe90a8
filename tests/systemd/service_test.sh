#!/usr/bin/env bash
# End-to-end test of edgesoak.service under a real systemd (v252) booted as PID 1 of private
# namespaces (nslib.sh, after shared/notes/systemd-in-namespace.md). The unit runs exactly as
# installed: `cmake --install` into a DESTDIR that is bound on /usr/local in the namespace;
# systemd-sysusers/-tmpfiles create the user and state directory there (in the namespace's
# overlay /etc and a test /var/lib).
# Checks: READY + STATUS; kill -9 -> restart -> same run resumed as a new segment with a
# segment_gap event; `edgesoak status` with and without systemd; systemctl stop -> `stopped`;
# next start resumes it; hung worker -> watchdog restart; bad configuration -> exit status 2,
# no restart loop, clear message in the journal.
#
# Usage: service_test.sh BUILD_DIR      Exit 77 = skipped (not root, no namespaces, no systemd).
#        ES_SERVICE_SOAK=1 service_test.sh BUILD_DIR   two-minute soak with two kill -9 instead.
set -uo pipefail

BUILD=$(cd "${1:?usage: service_test.sh BUILD_DIR}" && pwd)
source "$(dirname "$0")/nslib.sh"
ns_preflight sqlite3 cmake
[[ -x $BUILD/daemon/edgesoakd && -x $BUILD/daemon/cli/edgesoak ]] || skip "programs not built"
ns_init "$BUILD" systemd-test
ROOT=$W/root
db() { sqlite3 -readonly "$W/varlib/edgesoak/edgesoak.db" "$@"; }

# --- Stage: install into a DESTDIR exactly as `cmake --install` does -------------------------
log "installing into $ROOT"
DESTDIR=$ROOT cmake --install "$BUILD" >"$W/install.log" 2>&1 || { cat "$W/install.log"; fail "cmake --install"; exit 1; }
PREFIX=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$BUILD/CMakeCache.txt")
UNIT_DIR=$(sed -n 's/^ES_SYSTEMD_UNIT_DIR:PATH=//p' "$BUILD/CMakeCache.txt")
SYSUSERS_DIR=$(sed -n 's/^ES_SYSUSERS_DIR:PATH=//p' "$BUILD/CMakeCache.txt")
TMPFILES_DIR=$(sed -n 's/^ES_TMPFILES_DIR:PATH=//p' "$BUILD/CMakeCache.txt")
[[ $PREFIX == /usr/local ]] || skip "test expects the default prefix /usr/local (is $PREFIX)"
UNIT=$ROOT$UNIT_DIR/edgesoak.service
[[ -f $UNIT ]] || { fail "unit not installed at $UNIT"; exit 1; }
CONFIG=$(sed -n 's/^ExecStart=.* --config //p' "$UNIT")
[[ $CONFIG == /usr/local/etc/edgesoak/edgesoak.yaml && -f $ROOT$CONFIG ]] || fail "installed config $CONFIG"

# The service's configuration: fast and light (the machine is shared), never finishes by itself.
write_config() {
  cat >"$ROOT$CONFIG" <<'EOF'
version: 1
run:
  name: svc-test
  duration: 30m
workload:
  model: squeezenet1_1
  threads: 1
  rate: 20
probes:
  interval: 500ms
storage:
  database: /var/lib/edgesoak/edgesoak.db
  commit_interval: 200ms
safety:
  max_temperature_c: off
EOF
}
write_config

# --- Units for the namespace (copied into its private /run/systemd/system) -----------------
cp "$UNIT" "$W/units/edgesoak.service"
# Drop-in: only what the test needs to differ. Everything else is the installed unit.
#  - DefaultDependencies=no: the namespace has no sysinit/basic targets (recipe);
#  - RestartSec=1s: faster test; LimitCORE=0: the watchdog's SIGABRT must not write a core
#    through the host's core_pattern;
#  - StandardOutput/StandardError=journal stay (journald runs in the namespace, volatile).
mkdir -p "$W/units/edgesoak.service.d"
cat >"$W/units/edgesoak.service.d/50-test.conf" <<'EOF'
[Unit]
DefaultDependencies=no
[Service]
RestartSec=1s
LimitCORE=0
EOF
cat >"$W/boot-extra.sh" <<EOF
mount --bind $W/varlib /var/lib
mount --bind $ROOT/usr/local /usr/local
# What the package's postinst does: user + groups (sysusers.d), state directory (tmpfiles.d).
systemd-sysusers $ROOT$SYSUSERS_DIR/edgesoak.conf
systemd-tmpfiles --create $ROOT$TMPFILES_DIR/edgesoak.conf
EOF
mkdir -p "$W/varlib"
ns_boot
ns id edgesoak >/dev/null || fail "systemd-sysusers did not create the edgesoak user"
ns id -nG edgesoak | grep -qw i2c || fail "edgesoak is not in group i2c"
ns id -nG edgesoak | grep -qw video || fail "edgesoak is not in group video"

# --- Optional: ES_SERVICE_SOAK=1 runs a two-minute soak with two kill -9 instead -----------
# (not part of ctest; used to produce the numbers in the report to the lead).
if [[ ${ES_SERVICE_SOAK:-0} == 1 ]]; then
  cat >"$ROOT$CONFIG" <<'EOF2'
version: 1
run:
  name: soak-2m
  duration: 2m
  phases:
    - {name: baseline, duration: 10s, load: false}
    - {name: load, duration: rest}
    - {name: cooldown, duration: 10s, load: false}
workload:
  model: mobilenet_v2
  threads: 1
  rate: 20
probes:
  interval: 500ms
storage:
  database: /var/lib/edgesoak/edgesoak.db
  commit_interval: 200ms
EOF2
  log "soak: start (2 min run, kill -9 at ~30 s and ~70 s)"
  ns systemctl start edgesoak.service || fail "start"
  sleep 30
  log "soak: kill -9 #1"; ns systemctl kill -s SIGKILL --kill-whom=main edgesoak.service
  sleep 40
  log "soak: kill -9 #2"; ns systemctl kill -s SIGKILL --kill-whom=main edgesoak.service
  wait_for 150 bash -c "[[ \$(sqlite3 -readonly '$W/varlib/edgesoak/edgesoak.db' \"SELECT status FROM runs ORDER BY id DESC LIMIT 1\") == completed ]]" ||
    fail "run did not complete"
  wait_for 20 bash -c "[[ \$(nsenter -t $SDPID -m -p -- systemctl show -p ActiveState --value edgesoak.service) == inactive ]]"
  log "soak: done; service $(prop ActiveState), Result=$(prop Result), NRestarts=$(prop NRestarts)"
  ns /usr/local/bin/edgesoak status
  DBF=$W/varlib/edgesoak/edgesoak.db
  echo "segments:"; db "SELECT id, t0_run_ns/1e9, (end_mono_ns-start_mono_ns)/1e9, end_reason FROM segments"
  echo "gaps:"; db "SELECT detail FROM events WHERE kind='segment_gap'"
  echo "inferences: $(db "SELECT count(*) FROM inferences")  integrity: $(db "PRAGMA integrity_check")"
  "$BUILD/daemon/cli/edgesoak" report --db "$DBF" --run latest --out "$W/report" 2>&1 | head -60
  ls "$W/report" 2>/dev/null
  cp "$DBF" "$BUILD/soak-2m.db" 2>/dev/null
  ns systemctl start edgesoak.service
  log "soak: start after completion -> $(prop ActiveState) Result=$(prop Result) Status='$(prop StatusText)'"
  ns journalctl -u edgesoak.service --no-pager | grep -E "nothing to do|resuming|Watchdog|Main process exited" | tail -8
  exit $((FAILS > 0))
fi

# --- 1. start: READY and STATUS ------------------------------------------------------------
log "1. start"
ns systemctl start edgesoak.service || fail "systemctl start failed"
is_active || fail "not active after start (ActiveState=$(prop ActiveState))"
wait_for 20 bash -c "nsenter -t $SDPID -m -p -- systemctl show -p StatusText --value edgesoak.service | grep -Eq ' [1-9][0-9]* inf'" ||
  fail "no STATUS= line with inferences (StatusText='$(prop StatusText)')"
log "   StatusText: $(prop StatusText)"
[[ $(ns stat -c %U /var/lib/edgesoak/edgesoak.db 2>/dev/null) == edgesoak ]] ||
  fail "database not owned by edgesoak (user switching)"
RUN=$(db "SELECT id FROM runs WHERE name='svc-test' ORDER BY id DESC LIMIT 1")
[[ -n $RUN ]] || fail "no run recorded"

# --- SIGHUP is logged and ignored; there is no reload ---------------------------------------
PID_BEFORE=$(prop MainPID)
ns systemctl kill -s SIGHUP --kill-whom=main edgesoak.service
sleep 1
[[ $(prop MainPID) == "$PID_BEFORE" ]] && is_active || fail "SIGHUP changed the service (MainPID $PID_BEFORE -> $(prop MainPID))"
ns journalctl -u edgesoak.service --no-pager | grep -q "received SIGHUP: ignored" || fail "SIGHUP not logged"
ns systemctl reload edgesoak.service 2>/dev/null && fail "systemctl reload succeeded (no ExecReload= expected)"

# --- 2. kill -9 -> restart -> same run, new segment, gap recorded ----------------------------
log "2. kill -9 of the main process"
sleep 2
ns systemctl kill -s SIGKILL --kill-whom=main edgesoak.service
wait_for 20 bash -c "[[ \$(nsenter -t $SDPID -m -p -- systemctl show -p NRestarts --value edgesoak.service) -ge 1 ]]" ||
  fail "no restart after kill -9 (NRestarts=$(prop NRestarts))"
wait_for 20 is_active || fail "not active again after kill -9"
wait_for 15 bash -c "[[ \$(sqlite3 -readonly '$W/varlib/edgesoak/edgesoak.db' \"SELECT count(*) FROM segments WHERE run_id=$RUN\") -ge 2 ]]" ||
  fail "run $RUN has no second segment"
[[ $(db "SELECT count(*) FROM runs") == 1 ]] || fail "kill -9 started a new run instead of resuming"
[[ $(db "SELECT count(*) FROM events WHERE run_id=$RUN AND kind='segment_gap' AND detail LIKE '%prev_end_reason=died%same_boot=1%'") -ge 1 ]] ||
  fail "no segment_gap event for the kill"
[[ $(db "SELECT status FROM runs WHERE id=$RUN") == running ]] || fail "run not running after resume"
ns journalctl -u edgesoak.service --no-pager | grep -q "resuming run $RUN" || fail "no 'resuming run' in the journal"
log "   $(db "SELECT detail FROM events WHERE run_id=$RUN AND kind='segment_gap' ORDER BY id DESC LIMIT 1")"

# --- edgesoak status, inside the namespace (service state from systemctl) -----------------
sleep 2
ns /usr/local/bin/edgesoak status >"$W/status.txt" 2>&1 || fail "edgesoak status failed: $(cat "$W/status.txt")"
sed 's/^/   | /' "$W/status.txt"
grep -q "service:    active (running), 1 restart" "$W/status.txt" || fail "status: service state"
grep -q "segments:   2, gaps: 1" "$W/status.txt" || fail "status: segments"
ns /usr/local/bin/edgesoak status --json >"$W/status.json" 2>&1 || fail "edgesoak status --json failed"
grep -q '"status": "running"' "$W/status.json" || fail "status --json: run status"
# Outside the namespace there is no systemd: graceful degradation.
"$BUILD/daemon/cli/edgesoak" status --db "$W/varlib/edgesoak/edgesoak.db" >"$W/status-host.txt" 2>&1 ||
  fail "edgesoak status (no systemd) failed"
grep -q "unknown (no systemd)" "$W/status-host.txt" || [[ -d /run/systemd/system ]] || fail "status without systemd"

# --- 3. systemctl stop -> stopped; next start resumes -------------------------------------
log "3. systemctl stop (SIGTERM)"
ns systemctl stop edgesoak.service
[[ $(prop ActiveState) == inactive && $(prop Result) == success ]] ||
  fail "stop: ActiveState=$(prop ActiveState) Result=$(prop Result)"
[[ $(db "SELECT status FROM runs WHERE id=$RUN") == stopped ]] || fail "run not 'stopped' after SIGTERM"
ns systemctl start edgesoak.service || fail "restart after stop"
wait_for 10 bash -c "[[ \$(sqlite3 -readonly '$W/varlib/edgesoak/edgesoak.db' \"SELECT count(*) FROM segments WHERE run_id=$RUN\") -ge 3 ]]" ||
  fail "stopped run not resumed on the next start"
[[ $(db "SELECT count(*) FROM events WHERE run_id=$RUN AND kind='segment_gap' AND detail LIKE '%prev_end_reason=stopped%'") -ge 1 ]] ||
  fail "no segment_gap after a stop"
ns systemctl stop edgesoak.service

# --- 4. hung worker -> watchdog restart -----------------------------------------------------
log "4. hung worker (EDGESOAK_FAULT=hang_worker=3s, WatchdogSec=2s)"
ns mkdir -p /run/systemd/system/edgesoak.service.d
ns sh -c 'cat > /run/systemd/system/edgesoak.service.d/60-watchdog.conf' <<'EOF'
[Service]
Environment=EDGESOAK_FAULT=hang_worker=3s
WatchdogSec=2s
EOF
ns systemctl daemon-reload
ns systemctl reset-failed edgesoak.service 2>/dev/null
BEFORE=$(prop NRestarts)
ns systemctl start edgesoak.service || fail "start with hang fault"
wait_for 30 bash -c "[[ \$(nsenter -t $SDPID -m -p -- systemctl show -p NRestarts --value edgesoak.service) -gt $BEFORE ]]" ||
  fail "no watchdog restart (NRestarts=$(prop NRestarts))"
ns journalctl --no-pager | grep -q "edgesoak.service: Watchdog timeout" || fail "no 'Watchdog timeout' from systemd"
# Not -u: journald attributes a message by the sender's cgroup, unknown once SIGABRT killed it.
ns journalctl --no-pager | sed -n '/stream 0 hangs now/,$p' | grep -q "withholding WATCHDOG=1" ||
  fail "daemon did not log the stalled thread after the injected hang"
ns systemctl stop edgesoak.service
ns rm -f /run/systemd/system/edgesoak.service.d/60-watchdog.conf
ns systemctl daemon-reload

# --- 5. bad configuration -> exit 2, no restart loop ---------------------------------------
log "5. bad configuration"
printf 'version: 1\nrun:\n  duration: banana\n' >"$ROOT$CONFIG"
ns systemctl reset-failed edgesoak.service 2>/dev/null
ns systemctl start edgesoak.service 2>/dev/null && fail "start with a bad configuration succeeded"
sleep 3 # RestartSec=1s: a restart would have happened by now
[[ $(prop ActiveState) == failed ]] || fail "bad config: ActiveState=$(prop ActiveState)"
[[ $(prop ExecMainStatus) == 2 ]] || fail "bad config: exit status $(prop ExecMainStatus), expected 2"
[[ $(prop NRestarts) == 0 ]] || fail "bad config restarted (NRestarts=$(prop NRestarts))"
ns journalctl -u edgesoak.service --no-pager | grep -q "invalid configuration" ||
  fail "no 'invalid configuration' message in the journal"
write_config

# --- Database integrity after all of it --------------------------------------------------
[[ $(db "PRAGMA integrity_check") == ok ]] || fail "integrity_check"
log "run $RUN: $(db "SELECT count(*) FROM segments WHERE run_id=$RUN") segments, $(db "SELECT count(*) FROM inferences i JOIN segments s ON s.id=i.seg WHERE s.run_id=$RUN") inferences"

if ((FAILS > 0)); then
  echo "$FAILS check(s) failed"
  exit 1
fi
log "all checks passed"
exit 0
