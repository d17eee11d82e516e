# Shared helpers for tests/integration/collector-*.sh (sourced, not a test).
# Feeds cores to crashwatch-collect exactly as the kernel does: argv from
# `crashwatch install --dry-run` (split on spaces, then each %-specifier
# expanded), the core on stdin.

: "${top_builddir:?}" "${top_srcdir:?}"
COLLECT="$top_builddir/crashwatch-collect"
CLI="$top_builddir/crashwatch"
TMP=$(mktemp -d /tmp/cwc.XXXXXX)  # short: the config path goes into the 128-byte core_pattern
STORE="$TMP/store"
SPOOL="$STORE/spool"
export CRASHWATCH_CONFIG="$TMP/c.conf"
printf '[Storage]\nDirectory=%s\n' "$STORE" > "$CRASHWATCH_CONFIG"
BG_PIDS=""
n=0
failed=0

cleanup() {
	for p in $BG_PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	grep -q " $TMP/" /proc/mounts && umount -l "$TMP"/* 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1${2:+ # $2}"; }
check() { # check "what" command...
	local what=$1; shift
	if "$@"; then ok "$what"; else not_ok "$what" "failed: $*"; fi
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

# The core_pattern line: from the CLI when it has the verb, else built
# from collector/collect.h's CW_COLLECT_PATTERN_ARGS.
PATTERN=$("$CLI" install --dry-run --collector "$COLLECT" 2>/dev/null)
PATTERN_SOURCE="crashwatch install --dry-run"
case $PATTERN in
"|$COLLECT "*) ;;
*)
	args=$(sed -n 's/^#define CW_COLLECT_PATTERN_ARGS "\(.*\)"$/\1/p' "$top_srcdir/collector/collect.h")
	PATTERN="|$COLLECT $args"
	PATTERN_SOURCE="collector/collect.h (crashwatch install not wired)"
	;;
esac

# run_collector PID TID UID GID SIG TIME RLIMIT HOST DUMPMODE PIDFD COMM < core
# Expands the pattern like the kernel: split first, then substitute.
run_collector() {
	local -A val=([P]=$1 [i]=$2 [u]=$3 [g]=$4 [s]=$5 [t]=$6 [c]=$7 [h]=$8 [d]=$9 [F]=${10} [e]=${11})
	local -a argv=()
	local tok out k
	read -r -a toks <<< "${PATTERN#|}"
	for tok in "${toks[@]}"; do
		out=$tok
		for k in "${!val[@]}"; do out=${out//%$k/${val[$k]}}; done
		argv+=("$out")
	done
	if [ -n "${PIDFD_OF:-}" ]; then
		# %F was "@PIDFD@": open a real pidfd of $PIDFD_OF and pass it, as the kernel does.
		python3 -c '
import os, sys
fd = os.pidfd_open(int(sys.argv[1]))
os.set_inheritable(fd, True)
args = [a.replace("@PIDFD@", str(fd)) for a in sys.argv[2:]]
os.execv(args[0], args)' "$PIDFD_OF" "${argv[@]}"
	else
		"${argv[@]}"
	fi
}

# make_core DIR PROGRAM ARGS...: runs a crashing program in DIR and prints
# the path of its core (kernel.core_pattern is "core").
make_core() {
	local dir=$1; shift
	rm -f "$dir"/core "$dir"/core.*
	(cd "$dir" && ulimit -c unlimited && exec "$@") >/dev/null 2>&1
	local c
	c=$(ls "$dir"/core "$dir"/core.* 2>/dev/null | head -n 1)
	[ -n "$c" ] || return 1
	mv "$c" "$dir/core.$(basename "$1")"
	echo "$dir/core.$(basename "$1")"
}

build_c_crasher() {
	cat > "$TMP/crash.c" <<'CEOF'
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], 0, 0) : 0;
	char *p = malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		p[i] = (char)(i * 2654435761u >> 13);
	volatile int *q = 0;
	*q = 1;
	return p[0];
}
CEOF
	cc -g -o "$TMP/crash" "$TMP/crash.c"
}

# A live process we control stands in for the held crashing process.
start_sleeper() {
	env "$@" sleep 300 &
	SLEEPER=$!
	BG_PIDS="$BG_PIDS $SLEEPER"
	# wait until env has exec'd sleep (a loaded machine may take a while)
	local i
	for i in $(seq 100); do
		case $(readlink "/proc/$SLEEPER/exe") in */sleep) return 0 ;; esac
		sleep 0.05
	done
}

meta_of() { ls "$SPOOL"/*.meta 2>/dev/null | head -n 1; }
core_of() { ls "$SPOOL"/*.core.zst 2>/dev/null | head -n 1; }
field() { jq -r "$1" "$(meta_of)"; }
clear_spool() { rm -rf "$SPOOL" "$STORE/collect-state"; }
