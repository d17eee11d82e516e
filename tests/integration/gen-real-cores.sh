#!/bin/bash
# gen-real-cores.sh: builds large third-party Go programs (pinned by the
# wrapper modules tests/go/real-<program>/go.mod and go.sum) with the oldest
# and the newest Go release each supports, runs each server on 127.0.0.1
# under a bounded load (real-load.py) and makes it dump core with SIGABRT
# under GOTRACEBACK=crash, or runs a command line tool with the arguments
# that crash it (a nil dereference deep in generic code: generics), and
# keeps, per run,
#   $top_builddir/tests/work/real/<program>/<release>/
#     <program>  the binary          buildinfo  `go version -m` of it
#     core       the core dump       stderr     the runtime's own traceback
#     status     the exit status     src.hash   what the binary was built from
#     run.hash   the load and script the run was made with
#     stderr.full  the program's whole stderr (its own log lines, then the crash)
# Cached: a complete directory is reused (CW_TEST_WORK shares it between the
# passes of scripts/test.sh); a change to the wrapper module rebuilds and
# reruns, a change to the load or to this script reruns. Modules come through the Go module proxy into the
# module cache (~/go/pkg/mod), checked against the committed go.sum.
#
# Subsets: CW_REAL_PROGRAMS="caddy etcd generics" (default: etcd generics, see below), CW_GO_VERSIONS as
# for gen-cores.sh (a prefix of a release below: "1.26").
# Prints one line per program/release; exits non-zero when a build or a run
# fails. --list prints the selected runs ("caddy/1.26") and does nothing else.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/go-lib.sh"
out=${CW_TEST_WORK:-$top_builddir/tests/work}/real
toolchain=$top_srcdir/scripts/go-toolchain.sh
load=$here/real-load.py

# program: main package (caddy's is the wrapper's own main.go), oldest and newest release it builds with (its
# go.mod's go line decides the oldest; both are test-matrix releases, so CI
# fetches no extra toolchain).
declare -A pkg=(
	[caddy]=.
	[etcd]=go.etcd.io/etcd/server/v3
	[generics]=.
)
# generics: its libraries build from Go 1.18, and it builds in seconds with
# the standard library already in the build cache (gen-cores.sh), so it
# takes every minor's newest release and the first releases of 1.18 and of
# 1.21, where the runtime began to print type arguments as "[...]".
# caddy v2.8.4 does not start when built with Go 1.27 (its module loader
# panics: "expected ModuleMap ... we do not recognize this type").
declare -A releases=(
	[caddy]="1.21.13 1.26"
	[etcd]="1.22.12 1.26 1.27.4"
	[generics]="1.18.0 1.18.10 1.19 1.20.14 1.21.0 1.21.13 1.22.12 1.23.12 1.24.13 1.25.14 1.26 1.27.4"
)
# command line tools (not servers): the arguments that crash them
declare -A cli_args=(
	[generics]="-records 64 -cache 8 -missing 0"
)
# where the runtime's crash output begins in the program's stderr
declare -A oracle_start=(
	[caddy]='^SIGABRT: abort$'
	[etcd]='^SIGABRT: abort$'
	[generics]='^panic: '
)
# caddy is not in the default set: it asks for SIGQUIT (signal.Notify), so
# it takes the SIGQUIT the crash relay sends after the goroutine dump, the
# relay never completes and the runtime waits 10 s (5 s before Go 1.21) for
# it before dumping core, while sysmon, the netpoller and os/signal still
# run. Goroutines then change status after the runtime printed them in ways
# a core cannot always prove (measured: the scavenger woken by sysmon, the
# Notify channel's receiver readied, IO wait goroutines readied), so its
# comparison is not deterministic; docs/analysis-json.md has the details.
# The one change the core proves (the woken os/signal goroutine) is decoded.
programs=${CW_REAL_PROGRAMS:-etcd generics}

# selected PROGRAM RELEASE: whether the subsets keep it.
selected() {
	[ -n "${pkg[$1]:-}" ] || return 1
	cw_release_wanted "$2"
}
# --list: the runs the subsets select, one "program/release" a line.
if [ "${1:-}" = "--list" ]; then
	for prog in $programs; do
		for rel in ${releases[$prog]:-}; do
			selected "$prog" "$rel" && echo "$prog/$rel"
		done
	done
	exit 0
fi

# The cores are left by the kernel in the program's working directory.
case "$(cat /proc/sys/kernel/core_pattern)" in
core|core.*) ;;
*) echo "# kernel.core_pattern is '$(cat /proc/sys/kernel/core_pattern)', not core: no cores" >&2; exit 1 ;;
esac

mkdir -p "$out"
exec 9>"$out/.lock"
flock 9

export GOTOOLCHAIN=local GOFLAGS=-mod=readonly GO111MODULE=on GOWORK=off GOTRACEBACK=crash
export GOPROXY=${GOPROXY:-https://proxy.golang.org} GONOSUMDB= GOSUMDB=${GOSUMDB:-sum.golang.org}
unset GOROOT

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PORT: 0 once something accepts on 127.0.0.1:PORT (30 s at most).
wait_port() {
	local i
	for i in $(seq 300); do
		python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' \
			"$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# build PROGRAM RELEASE DIR
build() {
	local prog=$1 rel=$2 dir=$3 go
	go=$("$toolchain" "$rel") || { echo "# no Go $rel" >&2; return 1; }
	if ! (cd "$top_srcdir/tests/go/real-$prog" && "$go" build -o "$dir/$prog" "${pkg[$prog]}") \
		>"$dir/build.log" 2>&1; then
		echo "# build of $prog with Go $rel failed:" >&2
		sed 's/^/#   /' "$dir/build.log" >&2
		return 1
	fi
	"$go" version -m "$dir/$prog" >"$dir/buildinfo"
}

# start_caddy DIR TMP PORT: in the background ($! is its pid).
start_caddy() {
	local dir=$1 tmp=$2 port=$3
	cat >"$tmp/caddy.json" <<EOF
{"admin": {"disabled": true, "config": {"persist": false}},
 "logging": {"logs": {"default": {"level": "ERROR"}}},
 "apps": {"http": {"servers": {"load": {
   "listen": ["127.0.0.1:$port"],
   "automatic_https": {"disable": true},
   "routes": [{"handle": [{"handler": "static_response", "body": "crashwatch\n"}]}]}}}}}
EOF
	(cd "$tmp" && ulimit -c unlimited && HOME=$tmp XDG_CONFIG_HOME=$tmp XDG_DATA_HOME=$tmp \
		exec "$dir/caddy" run --config "$tmp/caddy.json" >/dev/null 2>"$tmp/stderr") &
}

# start_etcd DIR TMP PORT: a single member, its data in TMP.
start_etcd() {
	local dir=$1 tmp=$2 port=$3 peer
	peer=$(free_port)
	(cd "$tmp" && ulimit -c unlimited && exec "$dir/etcd" --name solo --data-dir "$tmp/data" \
		--listen-client-urls "http://127.0.0.1:$port" --advertise-client-urls "http://127.0.0.1:$port" \
		--listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
		--initial-cluster "solo=http://127.0.0.1:$peer" --log-level error >/dev/null 2>"$tmp/stderr") &
}

# The load of each program: thousands of idle keep-alive connections and a
# few busy ones for caddy; watch streams and writers for etcd (through its
# gRPC gateway; "a2V5" is base64 "key").
load_of() {
	case "$1" in
	caddy) echo "idle:2000:GET:/ repeat:16:GET:/" ;;
	etcd) echo 'stream:300:POST:/v3/watch:{"create_request":{"key":"a2V5","range_end":"a2V6"}}' \
		'repeat:8:POST:/v3/kv/put:{"key":"a2V5","value":"dmFsdWU="}' ;;
	esac
}

# keep PROGRAM DIR TMP STATUS: the core and the runtime's output of a run
# made in TMP into DIR.
keep() {
	local prog=$1 dir=$2 tmp=$3 st=$4
	# The oracle is the runtime's crash output: from its first line on
	# (what the program logged before is kept in stderr.full).
	mv "$tmp/stderr" "$dir/stderr.full"
	sed -n "/${oracle_start[$prog]}/,\$p" "$dir/stderr.full" >"$dir/stderr"
	rm -f "$dir/status"
	if [ ! -f "$tmp/core" ]; then
		# not cached: the next run tries again
		echo "# $prog dumped no core (exit status $st, kernel.core_pattern $(cat /proc/sys/kernel/core_pattern))" >&2
		rm -rf "$tmp"
		return 1
	fi
	mv "$tmp/core" "$dir/core"
	rm -rf "$tmp"
	echo "$st" >"$dir/status"
}

# run_cli PROGRAM DIR: the command line tool with the arguments that crash
# it (60 s at most).
run_cli() {
	local prog=$1 dir=$2 tmp st=0
	tmp=$(mktemp -d "$dir/.run.XXXXXX")
	# The inner shells keep "Aborted (core dumped)" and timeout's own
	# notes out of the oracle text and off the terminal.
	# shellcheck disable=SC2086
	sh -c 'cd "$1" && ulimit -c unlimited && shift &&
		timeout -s KILL 60 sh -c '\''exec "$@" >/dev/null 2>stderr'\'' sh "$@"; exit $?' \
		sh "$tmp" "$dir/$prog" ${cli_args[$prog]} 2>/dev/null || st=$?
	keep "$prog" "$dir" "$tmp" "$st"
}

# run PROGRAM DIR: the loaded server, SIGABRT, its core and stderr into DIR.
run() {
	local prog=$1 dir=$2 tmp port pid lpid st=0
	if [ -n "${cli_args[$prog]:-}" ]; then
		run_cli "$prog" "$dir"
		return
	fi
	tmp=$(mktemp -d "$dir/.run.XXXXXX")
	port=$(free_port)
	# the load holds up to 2016 connections, the server as many
	ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"
	"start_$prog" "$dir" "$tmp" "$port"
	pid=$!
	if ! wait_port "$port"; then
		echo "# $prog did not listen on 127.0.0.1:$port" >&2
		kill -KILL "$pid" 2>/dev/null || true
		sed 's/^/#   /' "$tmp/stderr" >&2
		rm -rf "$tmp"
		return 1
	fi
	# shellcheck disable=SC2046
	python3 "$load" "$port" $(load_of "$prog") >"$tmp/load.out" 2>"$tmp/load.err" &
	lpid=$!
	for _ in $(seq 600); do
		grep -q ready "$tmp/load.out" 2>/dev/null && break
		kill -0 "$lpid" 2>/dev/null || break
		sleep 0.1
	done
	# a second of load, then quiet (see real-load.py), then the crash
	sleep 1
	kill -USR1 "$lpid" 2>/dev/null || true
	for _ in $(seq 100); do
		grep -q quiet "$tmp/load.out" 2>/dev/null && break
		kill -0 "$lpid" 2>/dev/null || break
		sleep 0.1
	done
	sleep 0.2
	kill -ABRT "$pid"
	wait "$pid" || st=$?
	wait "$lpid" || true
	if ! grep -q ready "$tmp/load.out"; then
		echo "# the load on $prog never got ready:" >&2
		sed 's/^/#   /' "$tmp/load.err" >&2
	fi
	keep "$prog" "$dir" "$tmp" "$st"
}

rc=0
for prog in $programs; do
	[ -n "${pkg[$prog]:-}" ] || { echo "# unknown program $prog" >&2; rc=1; continue; }
	hash=$(cat "$top_srcdir/tests/go/real-$prog"/*.go "$top_srcdir/tests/go/real-$prog"/go.* |
		sha256sum | cut -c1-16)
	run_hash=$(cat "$load" "$0" | sha256sum | cut -c1-16)
	for rel in ${releases[$prog]}; do
		selected "$prog" "$rel" || continue
		dir=$out/$prog/$rel
		if [ "$(cat "$dir/src.hash" 2>/dev/null)" = "$hash" ] && [ -x "$dir/$prog" ]; then
			if [ -f "$dir/status" ] && [ "$(cat "$dir/run.hash" 2>/dev/null)" = "$run_hash" ]; then
				echo "# $prog/$rel: cached"
				continue
			fi
		else
			rm -rf "$dir"
			mkdir -p "$dir"
			t0=$(date +%s)
			if ! build "$prog" "$rel" "$dir"; then
				rc=1
				continue
			fi
			echo "$hash" >"$dir/src.hash"
			echo "# $prog/$rel: built in $(($(date +%s) - t0)) s"
		fi
		t1=$(date +%s)
		rm -f "$dir/run.hash"
		run "$prog" "$dir" || rc=1
		echo "$run_hash" >"$dir/run.hash"
		echo "# $prog/$rel: ran in $(($(date +%s) - t1)) s"
	done
done
exit $rc
