# Shared by the tests that drive edgesoak.service under a real systemd (v252) booted as PID 1 of
# private namespaces, following shared/notes/systemd-in-namespace.md:
#   - private tmpfs on /tmp, /run, /var/tmp (and /var/log); private PID, mount, UTS, network and
#     cgroup namespaces; a minimal target whose units have DefaultDependencies=no; units only in
#     /run/systemd/system; systemd logs only to the namespace's volatile journald (never to the
#     host's /dev/kmsg or /dev/console);
#   - /etc is an overlay (writes land in the test directory), so systemd-sysusers/dpkg create
#     the edgesoak user in the namespace's view only;
#   - every cgroup hierarchy gets a child cgroup edgesoak-test-<pid> that is the namespace's
#     cgroup root, so whatever this systemd creates lands there and is removed afterwards
#     (no trace on the host, no clash with another systemd in a namespace);
#   - only our own PIDs are killed, and teardown waits for systemd to exit.
# Usage: source it, call ns_preflight, ns_init BUILD_DIR NAME, write units into $W/units and
# extra boot steps into $W/boot-extra.sh, then ns_boot. `ns CMD...` runs a command inside.
# Exit 77 = skipped.

SKIP=77
FAILS=0
T0=$(date +%s)
NSPID="" # host PID of the bash that execs unshare (ours)
SDPID="" # host PID of the namespace's systemd (child of NSPID; ours)
CGDIRS=()

skip() { echo "SKIP: $*"; exit $SKIP; }
log() { echo "[$(($(date +%s) - T0))s] $*"; }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ns() { nsenter -t "$SDPID" -m -p -- "$@"; }
prop() { ns systemctl show -p "$1" --value edgesoak.service; }
is_active() { [[ $(prop ActiveState) == active ]]; }
# wait_for SECONDS COMMAND...: polls every 0.25 s until COMMAND succeeds.
wait_for() {
  local deadline=$(($(date +%s) + $1))
  shift
  until "$@"; do
    (($(date +%s) >= deadline)) && return 1
    sleep 0.25
  done
}

ns_preflight() {
  [[ $(id -u) -eq 0 ]] || skip "needs root"
  local tool
  for tool in unshare nsenter flock systemctl "$@"; do
    command -v "$tool" >/dev/null || skip "$tool not installed"
  done
  [[ -x /lib/systemd/systemd ]] || skip "/lib/systemd/systemd not installed"
  unshare -pfm --mount-proc true 2>/dev/null || skip "PID/mount namespaces not permitted here"
  unshare -C -pfmun --mount-proc true 2>/dev/null || skip "cgroup/UTS/net namespaces not permitted here"
  grep -qw overlay /proc/filesystems || skip "overlayfs not available"
  # One systemd-in-namespace test at a time on this machine (they share the lock file only).
  exec 9>/run/lock/edgesoak-systemd-test.lock
  flock -w 600 9 || skip "another systemd test holds the lock for 10 minutes"
}

# ns_init BUILD_DIR NAME: the scratch directory $W (kept on failure) and the teardown trap.
ns_init() {
  W=$(mktemp -d "$1/$2.XXXXXX")
  mkdir -p "$W/units" "$W/etc-upper" "$W/etc-work"
  : >"$W/boot-extra.sh"
  cat >"$W/units/edgesoak-test.target" <<'EOF'
[Unit]
Description=edgesoak test target (nothing else starts)
DefaultDependencies=no
EOF
  trap ns_teardown EXIT
}

ns_teardown() {
  if [[ -n $SDPID && -d /proc/$SDPID ]]; then
    ns journalctl --no-pager -o short-monotonic >"$W/journal.txt" 2>&1
    nsenter -t "$SDPID" -m -p -- systemctl exit 0 >/dev/null 2>&1
    local _
    for _ in $(seq 100); do
      [[ -d /proc/$NSPID ]] || break
      sleep 0.2
    done
    if [[ -d /proc/$SDPID ]]; then
      echo "systemd did not exit in 20 s; killing our namespace's PID 1 ($SDPID)"
      kill -9 "$SDPID" 2>/dev/null
    fi
  fi
  [[ -n $NSPID ]] && wait "$NSPID" 2>/dev/null
  local d
  for d in "${CGDIRS[@]}"; do
    [[ -d $d ]] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
    [[ -d $d ]] && echo "warning: could not remove cgroup $d"
  done
  if ((FAILS > 0)); then
    echo "--- boot.log ---"
    tail -n 20 "$W/boot.log" 2>/dev/null
    echo "--- journal (last 80 lines) ---"
    tail -n 80 "$W/journal.txt" 2>/dev/null
    echo "--- kept $W for inspection ---"
  else
    rm -rf "$W"
  fi
}

# A child cgroup edgesoak-test-<pid> in every hierarchy, below our current cgroup there.
ns_make_cgroups() {
  local name=edgesoak-test-$$ _ mnt fstype opts key cur dir
  while read -r _ mnt fstype opts _; do
    [[ $fstype == cgroup || $fstype == cgroup2 ]] || continue
    if [[ $fstype == cgroup2 ]]; then
      key="0:"
    else
      key=$(tr ',' '\n' <<<"$opts" | grep -Ev '^(rw|ro|relatime|noatime|nosuid|nodev|noexec|xattr|clone_children|nsdelegate)$' | paste -sd, -)
    fi
    cur=$(awk -F: -v k="$key" '(k == "0:" && $1 == "0") || (k != "0:" && $2 == k) { print $3 }' /proc/self/cgroup)
    [[ -n $cur ]] || continue
    dir=$mnt${cur%/}/$name
    mkdir "$dir" || { fail "cannot create cgroup $dir"; exit 1; }
    if [[ -f $dir/cpuset.cpus ]]; then # a new cpuset is empty until given CPUs and memory nodes
      cat "$(dirname "$dir")/cpuset.cpus" >"$dir/cpuset.cpus"
      cat "$(dirname "$dir")/cpuset.mems" >"$dir/cpuset.mems"
    fi
    CGDIRS+=("$dir")
    echo "$fstype $mnt $opts" >>"$W/cgroup-mounts"
  done </proc/self/mounts
}

# Boots systemd with the units in $W/units and the steps in $W/boot-extra.sh (run after the
# private mounts, before systemd starts), then starts journald.
ns_boot() {
  cat >"$W/journald.conf" <<'EOF'
[Journal]
Storage=volatile
ReadKMsg=no
ForwardToSyslog=no
ForwardToKMsg=no
ForwardToConsole=no
ForwardToWall=no
EOF
  # Trees the namespace must still see at their own paths: the checkout and the work dir.
  local repo
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  local ES_NS_KEEP="$repo $W"
  cat >"$W/boot.sh" <<EOF
#!/bin/bash
set -e
mount --make-rprivate /
# The private tmpfs mounts below would hide a checkout or build tree that lives under /tmp,
# /run, /var/tmp or /var/log (CI may clone there): stash those trees on a private tmpfs at /mnt
# first and bind them back at the same paths afterwards.
keep=()
for k in $ES_NS_KEEP; do
  case "\$k" in /tmp/*|/run/*|/var/tmp/*|/var/log/*) keep+=("\$k") ;; esac
done
if ((\${#keep[@]})); then
  mount -t tmpfs -o mode=700 tmpfs /mnt
  i=0
  for k in "\${keep[@]}"; do
    mkdir -p /mnt/keep\$i
    mount --bind "\$k" /mnt/keep\$i
    i=\$((i + 1))
  done
fi
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /var/tmp
mount -t tmpfs tmpfs /var/log
i=0
for k in "\${keep[@]}"; do
  mkdir -p "\$k"
  mount --bind /mnt/keep\$i "\$k"
  i=\$((i + 1))
done
# The cgroup hierarchies as seen from our cgroup namespace (rooted at edgesoak-test-<pid>).
mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup
while read -r fstype mnt opts; do
  mkdir -p "\$mnt"
  mount -t "\$fstype" -o "\$opts" "\$fstype" "\$mnt"
done <$W/cgroup-mounts
mount -t overlay overlay -o lowerdir=/etc,upperdir=$W/etc-upper,workdir=$W/etc-work /etc
mkdir -p /run/systemd/system /run/systemd/journald.conf.d /run/lock
cp -r $W/units/. /run/systemd/system/
cp $W/journald.conf /run/systemd/journald.conf.d/50-test.conf
# Accounting off: this systemd never realises cpu/memory/io/pids limits of its own.
mkdir -p /etc/systemd/system.conf.d
printf '[Manager]\nDefaultCPUAccounting=no\nDefaultIOAccounting=no\nDefaultIPAccounting=no\nDefaultBlockIOAccounting=no\nDefaultMemoryAccounting=no\nDefaultTasksAccounting=no\n' >/etc/systemd/system.conf.d/50-edgesoak-test.conf
source $W/boot-extra.sh
exec /lib/systemd/systemd --system --unit=edgesoak-test.target --log-target=journal --log-level=info
EOF
  chmod +x "$W/boot.sh"
  ns_make_cgroups
  log "booting systemd in private PID/mount/UTS/net/cgroup namespaces"
  setsid bash -c "echo \$\$ >'$W/ns.pid'; for d in ${CGDIRS[*]}; do echo \$\$ >\$d/cgroup.procs || exit 1; done
    exec unshare -C -pfmun --mount-proc --fork '$W/boot.sh'" >"$W/boot.log" 2>&1 </dev/null &
  wait_for 10 test -s "$W/ns.pid" || { fail "namespace did not start"; exit 1; }
  NSPID=$(cat "$W/ns.pid")
  wait_for 20 ns_find_systemd || { fail "systemd did not start"; exit 1; }
  wait_for 30 bash -c "nsenter -t $SDPID -m -p -- systemctl is-system-running 2>/dev/null | grep -qE 'running|degraded|starting'" ||
    { fail "systemd not answering"; exit 1; }
  log "systemd is PID 1 of the namespace (host PID $SDPID)"
  ns systemctl start systemd-journald.service || fail "journald did not start"
}

ns_find_systemd() {
  SDPID=$(cat /proc/"$NSPID"/task/*/children 2>/dev/null | awk '{print $1}')
  [[ -n $SDPID && $(readlink /proc/"$SDPID"/exe 2>/dev/null) == */systemd ]]
}
