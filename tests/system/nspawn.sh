#!/bin/bash
# The Debian package under a real systemd (TAP). Makes a Debian 12 root
# with debootstrap (cached in ~/.cache/crashwatch-nspawn, or
# $CW_NSPAWN_CACHE), builds the package (scripts/build-deb.sh, cached by the
# hash of the sources; or the .deb named by $CW_DEB), boots the root with
#   systemd-nspawn -D ROOT --boot --register=no --keep-unit
# on an overlay (the cached root is never written), installs the .deb and
# checks from the host with `nsenter -t LEADER -a systemctl/journalctl ...`:
# units enabled and active, the user and directories, the conffile, the
# core handler registered (on a stand-in: see below), real Go crashes
# (tests/go/crasher, Go 1.26) fed to crashwatch-collect as the kernel would,
# each user seeing only their own, the journal entries and their fields,
# socket activation, the watchdog restarting a stopped daemon, no crash lost
# when restarting during a burst, an upgrade keeping the history and
# restarting the daemon, a reboot (start-up time and idle memory are
# measured there and printed as "# figure:" lines), reload, remove and purge.
#
# kernel.core_pattern is global: /proc/sys is read-only in the container,
# and a plain file is bind-mounted over /proc/sys/kernel/core_pattern in the
# container's mount namespace, so the package's maintainer scripts register
# and restore the handler on that stand-in. The host's pattern is checked
# unchanged at the end. Needs root; skips where nspawn cannot boot, and in
# the sanitizer pass (the package is not an ASan build).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
CACHE=${CW_NSPAWN_CACHE:-$HOME/.cache/crashwatch-nspawn}
MIRROR=${CW_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
# systemd and the package's dependencies, so that installing needs no network
INCLUDE=systemd,systemd-sysv,dbus,procps,libelf1,libdw1,libcapstone4,libzstd1,libsqlite3-0,libcurl4,libjson-c5,libinih1,libssl3,libacl1,libseccomp2
MID_STORED=6a1e8f0c3b2d4e5f9a7c1d2e3f4a5b6c
MID_FAILED=b7d41c9e2a3f4b5c8d6e7f8091a2b3c4
MID_STARTED=3c4d5e6f708192a3b4c5d6e7f8091a2b
MID_CORE_REMOVED=0f9e8d7c6b5a4f3e2d1c0b9a89786756
PREV_PATTERN='|/usr/lib/cwtest/previous-handler %P %s'

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1${2:+ # $2}"; }
check() { # check "what" command...
	local what=$1; shift
	if "$@"; then ok "$what"; else not_ok "$what" "failed: $*"; fi
}
skip_rest() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; echo "1..$n"; exit 0; }
bail() { not_ok "$1" "$2"; echo "1..$n"; exit 1; }
figure() { echo "# figure: $*"; }

[ -z "${CW_SANITIZER_PASS:-}" ] && [ "${CW_NSPAWN:-}" != no ] ||
	{ echo "1..0 # SKIP the package is not a sanitizer build: tested in the -Werror pass"; exit 0; }
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root (debootstrap, systemd-nspawn, mounts)"; exit 0; }
for c in systemd-nspawn debootstrap nsenter dpkg-buildpackage python3 flock; do
	command -v "$c" >/dev/null || { echo "1..0 # SKIP $c is missing (scripts/setup-deps.sh installs it)"; exit 0; }
done
HOST_PATTERN=$(cat /proc/sys/kernel/core_pattern)
case $HOST_PATTERN in
'|'* | '@'*) echo "1..0 # SKIP kernel.core_pattern is a handler ($HOST_PATTERN): the crasher would leave no core"; exit 0 ;;
esac
[ -n "${CW_DEB:-}" ] || git -C "$top_srcdir" rev-parse --git-dir >/dev/null 2>&1 ||
	{ echo "1..0 # SKIP not a git checkout: build-deb.sh packages the tracked files (or name a .deb in CW_DEB)"; exit 0; }
GO=$(command -v go || "$top_srcdir/scripts/go-toolchain.sh" 1.26 2>/dev/null) ||
	{ echo "1..0 # SKIP no Go toolchain for the crasher"; exit 0; }

mkdir -p "$CACHE"
exec 8>"$CACHE/.lock"
flock 8 # one run at a time: the nspawn tmpfs, the caches

W=$(mktemp -d /var/tmp/cwnspawn.XXXXXX)
NSPAWN_PID=
LEADER=
MOUNTED_NSPAWN_RUN=
BOOTS=0

stop_container() { # clean poweroff (SIGTERM to nspawn), then kill
	[ -n "$NSPAWN_PID" ] || return 0
	kill -TERM "$NSPAWN_PID" 2>/dev/null
	local i
	for i in $(seq 1 300); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$NSPAWN_PID" 2>/dev/null; then
		[ -n "$LEADER" ] && kill -KILL "$LEADER" 2>/dev/null
		kill -KILL "$NSPAWN_PID" 2>/dev/null
	fi
	wait "$NSPAWN_PID" 2>/dev/null
	NSPAWN_PID= LEADER=
}
teardown() {
	stop_container
	if mountpoint -q "$W/root" 2>/dev/null; then umount "$W/root" 2>/dev/null || umount -l "$W/root"; fi
	[ -z "$MOUNTED_NSPAWN_RUN" ] || umount /run/systemd/nspawn 2>/dev/null || umount -l /run/systemd/nspawn
	rm -rf "$W"
}
trap teardown EXIT
trap 'exit 1' INT TERM HUP

# --- the root: debootstrap once per include list -----------------------------
key=$(echo "$SUITE $MIRROR $INCLUDE" | sha256sum | cut -c1-12)
ROOTFS=$CACHE/$SUITE-$key
t0=$(date +%s)
if ! [ -e "$ROOTFS/.complete" ]; then
	# roots made for another include list are not used again
	rm -rf "$ROOTFS.tmp" "$CACHE/$SUITE"-*
	if ! debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$ROOTFS.tmp" "$MIRROR" \
		>"$W/debootstrap.log" 2>&1; then
		sed 's/^/# /' "$W/debootstrap.log" | tail -20
		bail "debootstrap $SUITE" "see the log above ($MIRROR)"
	fi
	# each boot gets its own machine id; no apt caches in the image
	: >"$ROOTFS.tmp/etc/machine-id"
	rm -f "$ROOTFS.tmp"/var/cache/apt/archives/*.deb
	echo cwtest >"$ROOTFS.tmp/etc/hostname"
	touch "$ROOTFS.tmp/.complete"
	mv "$ROOTFS.tmp" "$ROOTFS"
fi
ok "Debian $SUITE root ($ROOTFS, $(($(date +%s) - t0)) s)"

# --- the package, the crasher ------------------------------------------------
SHARE=$W/share
mkdir -p "$SHARE"
t0=$(date +%s)
if [ -n "${CW_DEB:-}" ]; then
	DEB=$CW_DEB
else
	# the package's sources: everything but this test
	src=$(cd "$top_srcdir" && git ls-files -z -co --exclude-standard -- . ':!tests/system' |
		xargs -0 sha256sum 2>/dev/null |
		sha256sum | cut -c1-12)
	debdir=$top_builddir/tests/work/deb-$src
	if ! ls "$debdir"/crashwatch_*.deb >/dev/null 2>&1; then
		rm -rf "$top_builddir"/tests/work/deb-*
		"$top_srcdir/scripts/build-deb.sh" "$debdir" >"$W/build-deb.log" 2>&1 ||
			{ sed 's/^/# /' "$W/build-deb.log" | tail -30; bail "scripts/build-deb.sh" "the package did not build"; }
	fi
	DEB=$(ls "$debdir"/crashwatch_*.deb | head -n 1)
fi
cp "$DEB" "$SHARE/crashwatch.deb"
VERSION=$(dpkg-deb -f "$DEB" Version)
ok "package ${DEB##*/} ($(($(date +%s) - t0)) s)"
# the upgrade: the same package as version VERSION+cwtest1
dpkg-deb -R "$DEB" "$W/repack" && sed -i "s/^Version: .*/Version: $VERSION+cwtest1/" "$W/repack/DEBIAN/control" &&
	dpkg-deb -b "$W/repack" "$SHARE/crashwatch-upgrade.deb" >/dev/null || bail "repack for the upgrade" "dpkg-deb failed"
(cd "$top_srcdir/tests/go/crasher" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS= GOPROXY=off GOWORK=off \
	"$GO" build -o "$SHARE/crasher" .) >"$W/go-build.log" 2>&1 ||
	{ sed 's/^/# /' "$W/go-build.log"; bail "Go crasher" "go build failed"; }
install -m 0755 "$top_srcdir/tests/system/guest-crash.sh" "$SHARE/"

# --- boot --------------------------------------------------------------------
mkdir -p "$W/upper" "$W/ovl" "$W/root"
mount -t overlay overlay -o "lowerdir=$ROOTFS,upperdir=$W/upper,workdir=$W/ovl" "$W/root" ||
	skip_rest "boot the container" "cannot mount an overlay on $ROOTFS"
if ! mountpoint -q /run/systemd/nspawn; then
	# nspawn keeps its propagation directory there; on a host whose PID 1
	# is not systemd nothing provides it
	mkdir -p /run/systemd/nspawn && mount -t tmpfs -o mode=0755 tmpfs /run/systemd/nspawn &&
		MOUNTED_NSPAWN_RUN=1
fi
g() { nsenter -t "$LEADER" -a "$@"; }
as() { local u=$1; shift; g runuser -u "$u" -- "$@"; }
# find_leader: prints the pid of the container's init (a child of nspawn
# whose command is systemd), or fails.
find_leader() {
	local c
	for c in $(pgrep -P "$NSPAWN_PID"); do
		[ "$(cat "/proc/$c/comm" 2>/dev/null)" = systemd ] && { echo "$c"; return 0; }
	done
	return 1
}
boot() {
	BOOTS=$((BOOTS + 1))
	systemd-nspawn -q -D "$W/root" --boot --register=no --keep-unit --machine=cwtest \
		--bind-ro="$SHARE:/cwtest" </dev/null >"$W/console.$BOOTS.log" 2>&1 &
	NSPAWN_PID=$!
	local i state=
	LEADER=
	# until the manager answers (is-system-running --wait fails at once
	# while its socket is not there yet) and has finished starting; the
	# leader is looked for again while it is not a live systemd (nspawn's
	# own short-lived children come and go under load)
	for i in $(seq 1 240); do
		kill -0 "$NSPAWN_PID" 2>/dev/null || break
		if [ -z "$LEADER" ] || [ "$(cat "/proc/$LEADER/comm" 2>/dev/null)" != systemd ]; then
			LEADER=$(find_leader) || { sleep 0.5; continue; }
		fi
		state=$(nsenter -t "$LEADER" -a systemctl is-system-running 2>/dev/null)
		case $state in running | degraded | maintenance | stopping) break ;; esac
		sleep 0.5
	done
	case $state in
	running | degraded) ;;
	*)
		sed 's/^/# /' "$W/console.$BOOTS.log" | tail -20
		echo "# leader ${LEADER:-none}, state ${state:-none}"
		return 1
		;;
	esac
	# the stand-in for kernel.core_pattern (a mount: again at every boot)
	g sh -c 'f=/var/lib/cwtest.core_pattern; [ -e $f ] || printf "%s\n" "$1" >$f;
		mount --bind $f /proc/sys/kernel/core_pattern' sh "$PREV_PATTERN"
}
boot || skip_rest "boot the container" "systemd-nspawn --boot did not reach running (console above)"
ok "container boots (systemd $(g systemctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p'), leader $LEADER)"
check "the container's /proc/sys/kernel/core_pattern is the stand-in" \
	test "$(g cat /proc/sys/kernel/core_pattern)" = "$PREV_PATTERN"

# --- install -----------------------------------------------------------------
if ! g dpkg -i /cwtest/crashwatch.deb >"$W/install.log" 2>&1; then
	# a dependency that is not in the cached root
	g sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get -f install -y -qq' >>"$W/install.log" 2>&1
fi
if g dpkg-query -W -f='${Status}' crashwatch 2>/dev/null | grep -q 'install ok installed'; then
	ok "dpkg -i crashwatch.deb"
else
	sed 's/^/# /' "$W/install.log"
	bail "dpkg -i crashwatch.deb" "not installed"
fi
sed 's/^/# install: /' "$W/install.log"
for u in crashwatchd.socket crashwatchd.service; do
	check "$u enabled" g systemctl -q is-enabled "$u"
	check "$u active after install" g systemctl -q is-active "$u"
done
check "the crashwatch user (sysusers.d)" eval "g id -u crashwatch >/dev/null"
check "state directories (tmpfiles.d): spool and cores root 0711" \
	test "$(g stat -c '%U %a' /var/lib/crashwatch/spool /var/lib/crashwatch/cores | sort -u)" = "root 711"
check "/etc/crashwatch/crashwatch.conf is a conffile" \
	sh -c "nsenter -t $LEADER -a dpkg-query -W -f='\${Conffiles}' crashwatch | grep -q ' /etc/crashwatch/crashwatch.conf '"
check "programs in /usr/bin, /usr/sbin, /usr/libexec/crashwatch" \
	g test -x /usr/bin/crashwatch -a -x /usr/sbin/crashwatchd -a -x /usr/libexec/crashwatch/crashwatch-collect \
	-a -x /usr/libexec/crashwatch/crashwatch-full
OUR_PATTERN=$(g crashwatch install --dry-run)
check "postinst applied /usr/lib/sysctl.d/50-crashwatch.conf ($OUR_PATTERN)" \
	test "$(g cat /proc/sys/kernel/core_pattern)" = "$OUR_PATTERN"
check "postinst kept the previous pattern for removal" \
	test "$(g cat /var/lib/crashwatch/core_pattern.previous)" = "$PREV_PATTERN"

# --- crashes -----------------------------------------------------------------
status_field() { # the daemon's status, as root: status_field KEY
	g crashwatch status --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["'"$1"'"])' 2>/dev/null
}
wait_crashes() { # wait_crashes N [SECONDS]: until root sees N crashes and the queue is empty
	local i
	for i in $(seq 1 $((${2:-60} * 5))); do
		[ "$(status_field crashes)" = "$1" ] && [ "$(status_field queue)" = 0 ] && return 0
		sleep 0.2
	done
	return 1
}
list_json() { # list_json USER (root: all)
	if [ "$1" = root ]; then g crashwatch list --json; else as "$1" crashwatch list --json; fi
}
# crash_has USER PID PYTHON-CONDITION-ON-c: USER's listing has PID's crash and it satisfies the condition
crash_has() {
	list_json "$1" | python3 -c '
import json, sys
c = [c for c in json.load(sys.stdin) if c["pid"] == int(sys.argv[1])]
if not c:
    print("# no crash of pid %s" % sys.argv[1]); sys.exit(1)
c = c[0]
ok = eval(sys.argv[2])
if not ok:
    print("# " + json.dumps(c)[:800])
sys.exit(0 if ok else 1)' "$2" "$3"
}
uids_seen() { list_json "$1" | python3 -c 'import json,sys; print(" ".join(sorted({str(c["uid"]) for c in json.load(sys.stdin)})))'; }

g useradd -m alice && g useradd -m bob
ALICE_UID=$(g id -u alice) BOB_UID=$(g id -u bob)
APID=$(g /cwtest/guest-crash.sh alice panic-string 2>"$W/crash.err") ||
	{ sed 's/^/# /' "$W/crash.err"; bail "a Go crash of alice fed to crashwatch-collect" "guest-crash.sh failed"; }
check "alice's panic (pid $APID) is stored and processed" wait_crashes 1
check "root's listing: exe, uid, SIGABRT, core stored" crash_has root "$APID" \
	"c['exe'] == '/cwtest/crasher' and c['uid'] == $ALICE_UID and c['signal'] == 6 and c['core_state'] == 'stored'"
# The stored core is root's, 0400, with an ACL for the crashing uid only:
# the analysis child opens it before dropping to [Analyze] User= and the
# executable after (daemon/analyze_child.c); this test found the opposite
# order, where every analysis failed once the package had made that user.
check "the analysis of the stored core succeeded (Go 1.26, panic message, fingerprint)" \
	crash_has root "$APID" \
	"c['analysis_status'] == 'ok' and (c['go_version'] or '').startswith('go1.26') and len(c['fingerprint'] or '') == 64 and 'something went wrong' in (c['message'] or '')"
journal_entry() { # journal_entry PID: the crash's entry of crashwatchd, JSON
	g journalctl -o json --no-pager _SYSTEMD_UNIT=crashwatchd.service CRASHWATCH_PID="$1"
}
journal_fields_ok() { # the structured fields, from the real journald (trusted _ fields)
	journal_entry "$1" | python3 -c '
import json, sys
e = [json.loads(l) for l in sys.stdin if l.strip()]
ok = len(e) == 1 and e[0].get("MESSAGE_ID") in sys.argv[2:4] and e[0].get("SYSLOG_IDENTIFIER") == "crashwatchd" \
    and e[0].get("CRASHWATCH_EXE") == "/cwtest/crasher" and e[0].get("CRASHWATCH_SIGNAL") == "6" \
    and e[0].get("CRASHWATCH_UID") == sys.argv[1] and e[0].get("CRASHWATCH_ID", "").isdigit() \
    and e[0].get("_COMM") == "crashwatchd" and e[0].get("_UID") == "0"
if not ok:
    print("# journal: %s" % json.dumps(e)[:1000])
sys.exit(0 if ok else 1)' "$ALICE_UID" "$MID_STORED" "$MID_FAILED"
}
check "journal: the crash's entry (MESSAGE_ID, CRASHWATCH_EXE/PID/UID/SIGNAL/ID, _SYSTEMD_UNIT)" journal_fields_ok "$APID"
check "journal: MESSAGE_ID=$MID_STORED with a CRASHWATCH_FINGERPRINT" \
	sh -c "nsenter -t $LEADER -a journalctl -o json --no-pager MESSAGE_ID=$MID_STORED CRASHWATCH_PID=$APID |
		python3 -c 'import json,sys; e=[json.loads(l) for l in sys.stdin]; sys.exit(0 if len(e)==1 and len(e[0].get(\"CRASHWATCH_FINGERPRINT\",\"\"))==64 else 1)'"
check "journal: the start-up entry MESSAGE_ID=$MID_STARTED" \
	sh -c "nsenter -t $LEADER -a journalctl -q -o cat --no-pager MESSAGE_ID=$MID_STARTED | grep -q ."

BPID=$(g /cwtest/guest-crash.sh bob nil-deref 2>"$W/crash.err") || sed 's/^/# /' "$W/crash.err"
check "bob's crash (pid $BPID) is stored" wait_crashes 2
check "alice sees only her crashes" test "$(uids_seen alice)" = "$ALICE_UID"
check "bob sees only his crashes" test "$(uids_seen bob)" = "$BOB_UID"
check "root sees both" test "$(uids_seen root)" = "$(printf '%s\n' "$ALICE_UID" "$BOB_UID" | sort | tr '\n' ' ' | sed 's/ $//')"
check "alice cannot read bob's crash by id" sh -c "! nsenter -t $LEADER -a runuser -u alice -- crashwatch info --json \
	\$(nsenter -t $LEADER -a runuser -u bob -- crashwatch list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0][\"id\"])') >/dev/null 2>&1"

# --- socket activation, timings ----------------------------------------------
prop() { g systemctl show -P "$2" "$1"; }
activation_ms() { # stop the service, query through the socket; prints ms from start to READY=1
	# (reset-failed: repeated starts would hit the default StartLimitBurst=)
	g systemctl reset-failed crashwatchd.service crashwatchd.socket 2>/dev/null
	g systemctl stop crashwatchd.service 2>/dev/null || return 1
	[ "$(prop crashwatchd.service ActiveState)" = inactive ] && g systemctl -q is-active crashwatchd.socket || return 1
	as alice crashwatch list --json >/dev/null || return 1
	g systemctl -q is-active crashwatchd.service || return 1
	echo $((($(prop crashwatchd.service ActiveEnterTimestampMonotonic) -
		$(prop crashwatchd.service InactiveExitTimestampMonotonic)) / 1000))
}
check "socket activation: stopped service, alice's query starts it and is answered" eval "activation_ms >/dev/null"
check "the answer after activation has alice's crash" crash_has alice "$APID" "c['uid'] == $ALICE_UID"

# --- the watchdog ------------------------------------------------------------
g mkdir -p /etc/systemd/system/crashwatchd.service.d
g sh -c 'printf "[Service]\nWatchdogSec=3s\n" >/etc/systemd/system/crashwatchd.service.d/50-cwtest.conf'
g systemctl daemon-reload && g systemctl restart crashwatchd.service
pid1=$(prop crashwatchd.service MainPID)
restarts1=$(prop crashwatchd.service NRestarts)
watchdog_restarts() {
	g sh -c 'kill -STOP "$1"' sh "$pid1" || return 1
	local i p
	for i in $(seq 1 150); do
		p=$(prop crashwatchd.service MainPID)
		[ "$p" != "$pid1" ] && [ "$p" != 0 ] && g systemctl -q is-active crashwatchd.service && break
		sleep 0.2
	done
	[ "$p" != "$pid1" ] && [ "$(prop crashwatchd.service NRestarts)" -gt "$restarts1" ] &&
		g journalctl -q -o cat --no-pager -u crashwatchd.service | grep -q "Watchdog timeout"
}
check "the watchdog restarts a stopped (SIGSTOP) daemon (WatchdogSec=3s drop-in)" watchdog_restarts
g rm -f /etc/systemd/system/crashwatchd.service.d/50-cwtest.conf
g systemctl daemon-reload && g systemctl restart crashwatchd.service

# --- restart during a burst --------------------------------------------------
burst() {
	local before=$1
	g /cwtest/guest-crash.sh alice index 20 >/dev/null 2>"$W/burst.err" &
	local feeder=$!
	sleep 0.3; g systemctl restart crashwatchd.service
	sleep 0.5; g systemctl restart crashwatchd.service
	wait "$feeder" || { sed 's/^/# /' "$W/burst.err"; return 1; }
	wait_crashes $((before + 20)) 120
}
check "systemctl restart twice during a burst of 20 crashes: all 20 stored" burst "$(status_field crashes)"

# --- upgrade -----------------------------------------------------------------
pid_before=$(prop crashwatchd.service MainPID)
crashes_before=$(status_field crashes)
db_ino=$(g stat -c %i /var/lib/crashwatch/crashwatch.db)
cores_before=$(g sh -c 'ls /var/lib/crashwatch/cores | wc -l')
g dpkg -i /cwtest/crashwatch-upgrade.deb >"$W/upgrade.log" 2>&1 || sed 's/^/# /' "$W/upgrade.log"
check "upgrade to $VERSION+cwtest1" test "$(g dpkg-query -W -f='${Version}' crashwatch)" = "$VERSION+cwtest1"
check "the upgrade restarted the daemon" sh -c "[ \"\$(nsenter -t $LEADER -a systemctl show -P MainPID crashwatchd.service)\" != $pid_before ] &&
	nsenter -t $LEADER -a systemctl -q is-active crashwatchd.service crashwatchd.socket"
check "the upgrade kept the database and the cores ($crashes_before crashes, $cores_before cores)" \
	sh -c "[ \"\$(nsenter -t $LEADER -a stat -c %i /var/lib/crashwatch/crashwatch.db)\" = $db_ino ] &&
	[ \"\$(nsenter -t $LEADER -a sh -c 'ls /var/lib/crashwatch/cores | wc -l')\" = $cores_before ]"
check "... and the daemon serves them" wait_crashes "$crashes_before"
check "the upgrade kept the handler and the previous pattern" sh -c "
	[ \"\$(nsenter -t $LEADER -a cat /proc/sys/kernel/core_pattern)\" = '$OUR_PATTERN' ] &&
	[ \"\$(nsenter -t $LEADER -a cat /var/lib/crashwatch/core_pattern.previous)\" = '$PREV_PATTERN' ]"

# --- reboot: boot-to-active, activation, idle memory --------------------------
stop_container
boot || bail "reboot" "the container did not come up again"
ok "reboot"
check "after the reboot crashwatchd is active with its history" wait_crashes "$crashes_before"
userspace=$(g systemctl show -P UserspaceTimestampMonotonic)
figure "boot to crashwatchd.service active: $((($(prop crashwatchd.service ActiveEnterTimestampMonotonic) - userspace) / 1000)) ms" \
	"(container's PID 1 start to READY=1; whole boot to running: $((($(g systemctl show -P FinishTimestampMonotonic) - userspace) / 1000)) ms)"
figure "crashwatchd start to READY=1 at boot: $((($(prop crashwatchd.service ActiveEnterTimestampMonotonic) - \
	$(prop crashwatchd.service InactiveExitTimestampMonotonic)) / 1000)) ms"
times= forked=
for i in 1 2 3 4 5; do
	times="$times $(activation_ms)"
	forked="$forked $((($(prop crashwatchd.service ActiveEnterTimestampMonotonic) -
		$(prop crashwatchd.service ExecMainStartTimestampMonotonic)) / 1000))"
done
figure "socket activation to READY=1 (5 runs, ms):$times; of which from the fork of the main process:$forked"
t0=$(date +%s%N); as alice crashwatch list >/dev/null; t1=$(date +%s%N)
figure "first query after activation, alice's crashwatch list: $(((t1 - t0) / 1000000)) ms (includes nsenter + runuser)"
g systemctl reset-failed crashwatchd.service
g systemctl stop crashwatchd.service 2>/dev/null; as alice crashwatch list >/dev/null
sleep 10
mainpid=$(prop crashwatchd.service MainPID)
memcur=$(prop crashwatchd.service MemoryCurrent)
case $memcur in
*[!0-9]* | '') memcur="not available (no memory controller in the container's cgroup)" ;;
*) memcur="$((memcur / 1024)) KiB" ;;
esac
figure "idle after socket activation (10 s, $crashes_before crashes): MemoryCurrent $memcur," \
	"VmRSS $(g sed -n 's/^VmRSS:[[:space:]]*//p' "/proc/$mainpid/status")," \
	"RssAnon $(g sed -n 's/^RssAnon:[[:space:]]*//p' "/proc/$mainpid/status")," \
	"Pss $(g sed -n 's/^Pss:[[:space:]]*//p' "/proc/$mainpid/smaps_rollup")"

# --- reload ------------------------------------------------------------------
reload_rereads() {
	local pid since
	pid=$(prop crashwatchd.service MainPID)
	since=$(g date '+%Y-%m-%d %H:%M:%S')
	g sh -c 'printf "[Storage]\nMaxAge=1s\n" >/etc/crashwatch/crashwatch.conf.d/50-cwtest.conf'
	sleep 1.1
	g systemctl reload crashwatchd.service || return 1
	[ "$(prop crashwatchd.service MainPID)" = "$pid" ] || return 1
	g journalctl -q -o cat --no-pager -u crashwatchd.service --since "$since" | grep -q "configuration reloaded" || return 1
	# the new MaxAge= applied by the reload's retention pass: every core goes
	local i
	for i in $(seq 1 100); do [ "$(status_field cores_stored)" = 0 ] && break; sleep 0.3; done
	[ "$(status_field cores_stored)" = 0 ] &&
		g journalctl -q -o cat --no-pager MESSAGE_ID=$MID_CORE_REMOVED --since "$since" | grep -q .
}
check "systemctl reload re-reads the configuration (MaxAge=1s drop-in: the cores go, same pid)" reload_rereads
g rm -f /etc/crashwatch/crashwatch.conf.d/50-cwtest.conf

# --- remove, purge -----------------------------------------------------------
g sh -c 'DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq crashwatch' >"$W/remove.log" 2>&1 || sed 's/^/# /' "$W/remove.log"
check "apt-get remove: the previous core_pattern is back" test "$(g cat /proc/sys/kernel/core_pattern)" = "$PREV_PATTERN"
check "apt-get remove: units gone, no daemon" sh -c "! nsenter -t $LEADER -a systemctl -q is-active crashwatchd.service crashwatchd.socket &&
	! nsenter -t $LEADER -a test -e /lib/systemd/system/crashwatchd.service"
check "apt-get remove: the history and the conffile stay" \
	g test -s /var/lib/crashwatch/crashwatch.db -a -e /etc/crashwatch/crashwatch.conf
g dpkg --purge crashwatch >"$W/purge.log" 2>&1 || sed 's/^/# /' "$W/purge.log"
check "dpkg --purge: state and configuration gone" g test ! -e /var/lib/crashwatch -a ! -e /etc/crashwatch
check "the host's kernel.core_pattern is unchanged ($HOST_PATTERN)" test "$(cat /proc/sys/kernel/core_pattern)" = "$HOST_PATTERN"
kill -TERM "$NSPAWN_PID"
check "the container powers off" timeout 60 sh -c "while kill -0 $NSPAWN_PID 2>/dev/null; do sleep 0.2; done"
echo "1..$n"
exit $failed
