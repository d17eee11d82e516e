#!/bin/sh
# The systemd/ files: units pass `systemd-analyze verify` (paths filled in
# by make, ExecStart= pointed at the built daemon), the sandbox keeps its
# exposure level, tmpfiles.d and sysusers.d create what they say in a
# scratch root, and the example configuration and crashwatch.conf(5) cover
# every key the parser knows (and the example parses).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
T=$(mktemp -d /tmp/cw-systemd-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1${2:+ # $2}"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
echo "1..9"

OUT="$top_builddir/systemd/out"
for f in crashwatchd.service crashwatchd.socket sysusers.d/crashwatch.conf tmpfiles.d/crashwatch.conf crashwatch.conf.example; do
	[ -s "$OUT/$f" ] || (cd "$top_builddir" && make -s "systemd/out/$f" >/dev/null 2>&1)
done
if grep -q '@[a-z]*dir@' "$OUT/crashwatchd.service" "$OUT/crashwatchd.socket" "$OUT/tmpfiles.d/crashwatch.conf" "$OUT/crashwatch.conf.example"; then
	not_ok "make fills in every @dir@ placeholder" "$(grep -h '@[a-z]*dir@' "$OUT"/* | head -1)"
else
	ok "make fills in every @dir@ placeholder"
fi

daemon="$top_builddir/crashwatchd"
[ -x "$daemon" ] || daemon=/bin/true
mkdir -p "$T/units"
sed "s|^ExecStart=.*|ExecStart=$daemon|" "$OUT/crashwatchd.service" > "$T/units/crashwatchd.service"
cp "$OUT/crashwatchd.socket" "$T/units/"
if ! command -v systemd-analyze > /dev/null; then
	skip "systemd-analyze verify" "systemd-analyze not installed"
	skip "sandbox exposure" "systemd-analyze not installed"
else
	if out=$(systemd-analyze verify --man=no "$T/units/crashwatchd.service" "$T/units/crashwatchd.socket" 2>&1) && [ -z "$out" ]; then
		ok "systemd-analyze verify: service and socket, no warnings"
	else
		not_ok "systemd-analyze verify" "$(echo "$out" | tr '\n' ' ' | cut -c1-300)"
	fi
	level=$(systemd-analyze security --offline=yes "$T/units/crashwatchd.service" 2>/dev/null |
		sed -n 's/.*Overall exposure level for crashwatchd.service: \([0-9.]*\).*/\1/p')
	if [ -n "$level" ] && awk "BEGIN { exit !($level <= 3.2) }"; then
		ok "sandbox exposure level $level (systemd-analyze security, at most 3.2)"
	else
		not_ok "sandbox exposure level at most 3.2" "got '$level'"
	fi
fi

svc="$T/units/crashwatchd.service"
missing=""
for want in Type=notify WatchdogSec= NotifyAccess=main ProtectSystem=strict ProtectHome= PrivateTmp=yes \
	NoNewPrivileges=yes RestrictAddressFamilies= SystemCallFilter=@system-service CapabilityBoundingSet= \
	ReadWritePaths=; do
	grep -q "^$want" "$svc" || missing="$missing $want"
done
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$svc" | tr ' ' '\n' | sort | tr '\n' ' ')
if [ -z "$missing" ] && [ "$caps" = "CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_KILL CAP_SETGID CAP_SETUID " ]; then
	ok "service: notify with watchdog, sandboxed, capabilities limited to what the daemon uses"
else
	not_ok "service sandbox settings" "missing:$missing caps: $caps"
fi

mkdir -p "$T/root/etc"
if command -v systemd-tmpfiles > /dev/null && systemd-tmpfiles --root="$T/root" --create "$OUT/tmpfiles.d/crashwatch.conf" 2>"$T/err"; then
	state=$(sed -n 's/^d *\([^ ]*\) .*/\1/p' "$OUT/tmpfiles.d/crashwatch.conf" | while read -r p; do stat -c '%a' "$T/root$p"; done | tr '\n' ' ')
	if [ "$state" = "755 711 711 755 " ]; then ok "tmpfiles.d creates the state, spool, cores and runtime directories"; else not_ok "tmpfiles.d directories" "modes $state"; fi
else
	not_ok "tmpfiles.d creates the directories" "$(cat "$T/err" 2>/dev/null)"
fi
if command -v systemd-sysusers > /dev/null && systemd-sysusers --root="$T/root" "$OUT/sysusers.d/crashwatch.conf" > /dev/null 2>"$T/err" &&
   grep -q '^crashwatch:x:[0-9]*:[0-9]*:[^:]*:/:/usr/sbin/nologin$' "$T/root/etc/passwd"; then
	ok "sysusers.d creates the crashwatch user without a login shell"
else
	not_ok "sysusers.d creates the crashwatch user" "$(cat "$T/err" "$T/root/etc/passwd" 2>/dev/null | tr '\n' ' ')"
fi

# every key of the parser's tables (common/cwconfig.c) plus Format= and Events=
keys=$(sed -n 's/^[[:space:]]*{ "\(Storage\|Collect\|Analyze\|Daemon\|Upload\)", "\([A-Za-z]*\)",.*/\2/p' "$top_srcdir/common/cwconfig.c" | sort -u)
keys="$keys Format Events"
nokey=""
noman=""
for k in $keys; do
	grep -q "^#$k=" "$OUT/crashwatch.conf.example" || nokey="$nokey $k"
	grep -q "^\.BI *$k=\|, $k=\|^\.B $k=\| $k= " "$top_srcdir/man/crashwatch.conf.5" || noman="$noman $k"
done
if [ $(echo "$keys" | wc -w) -ge 30 ] && [ -z "$nokey" ]; then ok "the example shows every key ($(echo "$keys" | wc -w)) commented out"; else not_ok "the example shows every key" "missing:$nokey"; fi
if [ -z "$noman" ]; then ok "crashwatch.conf(5) documents every key"; else not_ok "crashwatch.conf(5) documents every key" "missing:$noman"; fi

# the example's defaults, uncommented (all but the [Upload] template), must parse
sed -n '/^#\[Upload\]/q; s/^#\([A-Za-z]*=\)/\1/; p' "$OUT/crashwatch.conf.example" |
	sed "s|^Directory=.*|Directory=$T/store|" > "$T/example.conf"
uncommented=$(grep -c '^[A-Za-z]*=' "$T/example.conf")
if [ -x "$top_builddir/crashwatch" ]; then
	if out=$("$top_builddir/crashwatch" config check "$T/example.conf" 2>&1) && [ "$uncommented" -ge 16 ]; then
		ok "the example's $uncommented defaults, uncommented, pass crashwatch config check"
	else
		not_ok "the example's defaults pass crashwatch config check" "$out"
	fi
else
	skip "the example's defaults pass crashwatch config check" "crashwatch not built"
fi
exit $failed
