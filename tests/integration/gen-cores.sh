#!/bin/bash
# gen-cores.sh: builds tests/go/crasher with every Go release of the test
# matrix in several variants, runs every crash mode with GOTRACEBACK=crash
# and keeps, per run,
#   ${CW_TEST_WORK:-$top_builddir/tests/work}/cores/<release>/<variant>/<mode>/
#     crasher   the binary (a hard link to <release>/<variant>/crasher)
#     core      the core dump (sparse)
#     stderr    the runtime's own traceback (the oracle)
#     status    the exit status of the run ("134" for SIGABRT ...)
# and <release>/<variant>/buildinfo, the output of `go version -m crasher`.
# Cached: a run whose directory is complete is not redone; a change to the
# crasher's sources rebuilds and reruns that release/variant.
#
# Subsets (space-separated lists):
#   CW_GO_VERSIONS="1.22.12 1.26"  releases (a prefix of a matrix entry: "1.22")
#   CW_VARIANTS="plain pie"        plain stripped pie trimpath cgo (default),
#                                  also pie-stripped (not in the default set);
#                                  a release builds only those of them that
#                                  `go-toolchain.sh --variants REL` gives it
#   CW_MODES="panic-string nil-deref"  modes (default: all the binary lists)
#   CW_JOBS=2                      parallel runs (at most 2)
# Prints one line per release/variant; exits non-zero when a build fails.
# Example:
#   top_builddir=build-x CW_GO_VERSIONS=1.26 CW_VARIANTS=plain tests/integration/gen-cores.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/go-lib.sh"
# CW_TEST_WORK: a corpus shared by several build directories (scripts/test.sh:
# the -Werror and the sanitizer pass); it holds only Go builds and cores.
work=${CW_TEST_WORK:-$top_builddir/tests/work}
out=$work/cores
toolchain=$top_srcdir/scripts/go-toolchain.sh
jobs=${CW_JOBS:-2}
[ "$jobs" -ge 1 ] && [ "$jobs" -le 2 ] || jobs=2

all_variants="plain stripped pie trimpath cgo"
variants=${CW_VARIANTS:-$all_variants}
matrix=$("$toolchain" --list)
releases=
for r in $matrix; do
	if cw_release_wanted "$r"; then releases="$releases $r"; fi
done

mkdir -p "$out"
# One generator at a time (tests may start it in parallel).
exec 9>"$out/.lock"
flock 9

# The sources only (a README change rebuilds nothing).
src_hash=$(cat "$top_srcdir"/tests/go/crasher/go.mod "$top_srcdir"/tests/go/crasher/*.go \
	"$top_srcdir"/tests/go/crasher_cgo/*.go "$top_srcdir"/tests/go/crasher_cgo/*.c | sha256sum | cut -c1-16)

export GOTOOLCHAIN=local GOFLAGS= GOPROXY=off GO111MODULE=on GOWORK=off GOTRACEBACK=crash
unset GOROOT

# build RELEASE VARIANT: makes $out/RELEASE/VARIANT/crasher; 0 or 1.
build() {
	local rel=$1 var=$2 dir=$out/$1/$2 go srcdir flags=() cgo=0
	if [ -x "$dir/crasher" ] && [ "$(cat "$dir/src.hash" 2>/dev/null)" = "$src_hash" ]; then
		return 0
	fi
	rm -rf "$dir"
	mkdir -p "$dir"
	go=$("$toolchain" "$rel") || { echo "# no Go $rel" >&2; return 1; }
	srcdir=$top_srcdir/tests/go/crasher
	case "$var" in
	plain) ;;
	stripped) flags=(-ldflags=-s\ -w) ;;
	pie) flags=(-buildmode=pie) ;;
	pie-stripped) flags=(-buildmode=pie -ldflags=-s\ -w) ;;
	trimpath) flags=(-trimpath) ;;
	cgo)
		cgo=1
		srcdir=$dir/src
		mkdir -p "$srcdir"
		cp "$top_srcdir"/tests/go/crasher/go.mod "$top_srcdir"/tests/go/crasher/*.go \
			"$top_srcdir"/tests/go/crasher_cgo/*.go \
			"$top_srcdir"/tests/go/crasher_cgo/*.c "$srcdir"/
		;;
	*) echo "# unknown variant $var" >&2; return 1 ;;
	esac
	if ! (cd "$srcdir" && CGO_ENABLED=$cgo "$go" build "${flags[@]}" -o "$dir/crasher" . ) \
		>"$dir/build.log" 2>&1; then
		echo "# build of $rel/$var failed:" >&2
		sed 's/^/#   /' "$dir/build.log" >&2
		return 1
	fi
	echo "$src_hash" >"$dir/src.hash"
}

# buildinfo RELEASE VARIANT: `go version -m` of the binary (an oracle for
# the analysis's go object), kept as <release>/<variant>/buildinfo.
buildinfo() {
	local dir=$out/$1/$2 go
	[ -s "$dir/buildinfo" ] && return 0
	go=$("$toolchain" "$1") || return 1
	"$go" version -m "$dir/crasher" >"$dir/buildinfo.tmp" && mv "$dir/buildinfo.tmp" "$dir/buildinfo"
}

# run DIR MODE: one crash, in its own temporary directory.
run_one() {
	local dir=$1 mode=$2 tmp st env=()
	local dest=$dir/$mode
	[ -f "$dest/status" ] && return 0
	rm -rf "$dest"
	tmp=$(mktemp -d "$dir/.run.XXXXXX")
	case "$mode" in
	panic-nil-error) env=(GODEBUG=panicnil=0) ;;
	labels) env=(GODEBUG=tracebacklabels=1) ;;
	esac
	st=0
	# The inner shells keep "Aborted (core dumped)" and timeout's own
	# notes out of the oracle text and off the terminal.
	sh -c 'cd "$1" && ulimit -c unlimited && shift &&
		timeout -s KILL 60 sh -c '\''exec "$@" >/dev/null 2>stderr'\'' sh "$@"; exit $?' \
		sh "$tmp" env "${env[@]}" "$dir/crasher" "$mode" 2>/dev/null || st=$?
	mkdir -p "$dest"
	mv "$tmp/stderr" "$dest/stderr"
	if [ -f "$tmp/core" ]; then
		mv "$tmp/core" "$dest/core"
	fi
	ln "$dir/crasher" "$dest/crasher"
	rm -rf "$tmp"
	echo "$st" >"$dest/status"
}

rc=0
jobs_file=$(mktemp)
trap 'rm -f "$jobs_file"' EXIT
for rel in $releases; do
	# a release builds the variants the matrix gives it (go-toolchain.sh
	# --variants) that were asked for
	rel_variants=" $("$toolchain" --variants "$rel" | tr '\n' ' ') "
	for var in $variants; do
		[[ " $all_variants " != *" $var "* || "$rel_variants" == *" $var "* ]] || continue
		if ! build "$rel" "$var" || ! buildinfo "$rel" "$var"; then
			rc=1
			continue
		fi
		dir=$out/$rel/$var
		known=" $("$dir/crasher" list | tr '\n' ' ') "
		n=0
		for mode in ${CW_MODES:-$known}; do
			if [[ "$known" == *" $mode "* ]]; then
				echo "$dir $mode" >>"$jobs_file"
				n=$((n + 1))
			fi
		done
		echo "# $rel/$var: $n modes"
	done
done

export -f run_one
if [ -s "$jobs_file" ]; then
	xargs -P "$jobs" -L 1 bash -c 'run_one "$0" "$1"' <"$jobs_file"
fi
exit $rc
