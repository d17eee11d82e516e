#!/bin/sh
# pclntab-matrix.sh: the pclntab reader against every Go release of the
# matrix (scripts/go-toolchain.sh --minors), on tests/go/pclnprobe built
# plain, stripped (-s -w), PIE, PIE stripped, -trimpath, stripped with
# .gopclntab renamed (found by its header magic), and stripped PIE linked
# externally with cgo (the table inside .data.rel.ro before 1.19's linker
# gave it a section there; text after the C code). For each binary:
#   - the table, go:func.* and runtime.firstmoduledata are found;
#   - function and file:line of 5000 pcs (every function's entry, then pcs
#     inside functions) equal `go tool addr2line` of the same toolchain;
#   - the inline expansion of every pc the probe's runtime.Callers returns
#     equals what runtime.CallersFrames printed for it at run time;
#   - every frame the runtime's own GOTRACEBACK=crash traceback prints
#     (inlined "(...)" frames and the physical frame with its pc=) equals
#     cw_pcln_frames at that pc;
#     the same for a nil dereference in inlined code (frames after sigpanic);
#   - runtime.firstmoduledata read from the core of that crash agrees with
#     the executable (pcHeader, text, gofunc, minpc...).
# Also cmd/gofmt of each release: 4 pcs per function against addr2line.
# Binaries are cached under $top_builddir/tests/work/pclnprobe/.
# CW_GO_VERSIONS restricts the matrix (e.g. "1.22.12 1.26").
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
resolve=$top_builddir/tests/integration/pclnresolve
work=${CW_TEST_WORK:-$top_builddir/tests/work}/pclnprobe
src=$top_srcdir/tests/go/pclnprobe
versions=${CW_GO_VERSIONS:-$("$top_srcdir/scripts/go-toolchain.sh" --minors)}
variants="plain stripped pie piestripped trimpath renamed extpie"
mkdir -p "$work"
newest=$("$top_srcdir/scripts/go-toolchain.sh" "$("$top_srcdir/scripts/go-toolchain.sh" --list | tr ' ' '\n' | tail -1)" 2>/dev/null) || newest=
n=0
fail=0
plan=0
for v in $versions; do for var in $variants; do plan=$((plan + 6)); done; plan=$((plan + 1)); done
echo "1..$plan"

ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=1; echo "not ok $n - $1 # $2"; }
skip3() { for t in 1 2 3 4 5 6; do n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; done; }

build() { # version variant out
	gobin=$1; var=$2; out=$3
	case $var in
	plain) set -- ;;
	stripped|renamed) set -- "-ldflags=-s -w" ;;
	pie) set -- -buildmode=pie ;;
	piestripped) set -- -buildmode=pie "-ldflags=-s -w" ;;
	trimpath) set -- -trimpath ;;
	extpie) set -- -buildmode=pie "-ldflags=-linkmode=external -s -w" ;;
	esac
	cgo=0
	[ "$var" = extpie ] && cgo=1
	(cd "$src" && GOTOOLCHAIN=local GOFLAGS= CGO_ENABLED=$cgo "$gobin" build "$@" -o "$out.tmp" .) >"$out.log" 2>&1 || return 1
	if [ "$var" = renamed ]; then
		objcopy --rename-section .gopclntab=.cwhidden "$out.tmp" >>"$out.log" 2>&1 || return 1
	fi
	mv "$out.tmp" "$out"
}

for v in $versions; do
	gobin=$("$top_srcdir/scripts/go-toolchain.sh" "$v" 2>/dev/null) || gobin=
	for var in $variants; do
		name="go$v/$var"
		if [ -z "$gobin" ]; then skip3 "$name" "toolchain $v unavailable"; continue; fi
		if [ "$var" = renamed ] && ! command -v objcopy >/dev/null; then skip3 "$name" "no objcopy"; continue; fi
		if [ "$var" = extpie ] && ! command -v gcc >/dev/null; then skip3 "$name" "no gcc for cgo"; continue; fi
		bin=$work/probe-$v-$var
		if [ ! -x "$bin" ] || [ "$src/main.go" -nt "$bin" ]; then
			if ! build "$gobin" "$var" "$bin"; then
				notok "$name: build" "$(tail -3 "$bin.log" | tr '\n' ' ')"; n=$((n + 5)); fail=1; continue
			fi
		fi
		info=$("$resolve" "$bin" info 2>&1)
		if [ $? -eq 0 ] && ! echo "$info" | grep -q -E '^(gofunc|moduledata) 0$' && echo "$info" | grep -q '^funcids ok'; then
			ok "$name: pclntab, go:func.* and firstmoduledata found, funcIDs normalised"
		else
			notok "$name: pclntab, go:func.* and firstmoduledata found, funcIDs normalised" "$(echo "$info" | tr '\n' ' ')"
		fi
		"$resolve" "$bin" pcs 5000 >"$bin.pcs"
		(cd "$src" && GOTOOLCHAIN=local "$gobin" tool addr2line "$bin") <"$bin.pcs" >"$bin.want" 2>&1
		oracle="go tool addr2line"
		if [ "$var" = renamed ] && [ -f "$work/probe-$v-stripped.want" ]; then
			# addr2line needs the section name: the stripped twin is the same file
			cp "$work/probe-$v-stripped.want" "$bin.want"
			oracle="go tool addr2line on the stripped twin"
		elif [ "$(head -1 "$bin.want")" = "?" ] && [ -n "$newest" ]; then
			# debug/gosym of 1.18/1.19 cannot read PIE tables (textStart 0): use the newest
			(cd "$src" && GOTOOLCHAIN=local "$newest" tool addr2line "$bin") <"$bin.pcs" >"$bin.want" 2>&1
			oracle="go tool addr2line of the newest release"
		fi
		"$resolve" "$bin" addr2line <"$bin.pcs" >"$bin.got" 2>&1
		cnt=$(wc -l <"$bin.pcs")
		if [ "$var" = extpie ]; then
			# debug/gosym needs a .gopclntab section, and (1.26, no textStart
			# in the header) takes .text as the text start, which external
			# linking begins with C code: the runtime oracles below decide
			n=$((n + 1)); echo "ok $n - $name: addr2line # SKIP go tool addr2line cannot read externally linked PIE tables"
		elif [ "$cnt" -ge 4000 ] && cmp -s "$bin.want" "$bin.got"; then
			ok "$name: $cnt pcs match $oracle"
		else
			notok "$name: $cnt pcs match $oracle" "$(diff "$bin.want" "$bin.got" | head -4 | tr '\n' ' ')"
		fi
		out=$("$bin" 2>&1 | "$resolve" "$bin" frames 2>&1)
		if [ $? -eq 0 ]; then
			ok "$name: inline frames match runtime.CallersFrames ($(echo "$out" | tail -1 | sed 's/^# //'))"
		else
			notok "$name: inline frames match runtime.CallersFrames" "$(echo "$out" | head -3 | tr '\n' ' ')"
		fi
		cdir=$work/core-$v-$var
		rm -rf "$cdir"; mkdir -p "$cdir"
		(cd "$cdir" && ulimit -c unlimited && GOTRACEBACK=crash "$bin" crash >out 2>&1; true) >/dev/null 2>&1
		if out=$("$resolve" "$bin" traceback <"$cdir/out" 2>&1); then
			ok "$name: frames match the runtime's crash traceback ($(echo "$out" | tail -1 | sed 's/^# //'))"
		else
			notok "$name: frames match the runtime's crash traceback" "$(echo "$out" | head -3 | tr '\n' ' ')"
		fi
		(cd "$cdir" && GOTRACEBACK=crash "$bin" segv >segv 2>&1; true) >/dev/null 2>&1
		if grep -q "main.segvLeaf" "$cdir/segv" && out=$("$resolve" "$bin" traceback <"$cdir/segv" 2>&1); then
			ok "$name: frames past sigpanic match the runtime's traceback ($(echo "$out" | tail -1 | sed 's/^# //'))"
		else
			notok "$name: frames past sigpanic match the runtime's traceback" "$(echo "$out" | head -3 | tr '\n' ' ')"
		fi
		core=$(ls "$cdir"/core 2>/dev/null; ls "$cdir"/core.* 2>/dev/null | head -1)
		core=$(echo "$core" | head -1)
		if [ -z "$core" ]; then
			n=$((n + 1)); echo "ok $n - $name: moduledata from a core # SKIP no core written (ulimit or core_pattern)"
		elif out=$("$resolve" "$bin" moduledata "$core" 2>&1); then
			ok "$name: moduledata from a core agrees with the executable ($(echo "$out" | tail -1 | sed 's/^# //'))"
		else
			notok "$name: moduledata from a core agrees with the executable" "$(echo "$out" | head -3 | tr '\n' ' ')"
		fi
		rm -rf "$cdir"
	done
	# a larger real program: the release's own cmd/gofmt, every function
	name="go$v/gofmt"
	if [ -z "$gobin" ]; then n=$((n + 1)); echo "ok $n - $name # SKIP toolchain $v unavailable"; continue; fi
	bin=$work/gofmt-$v
	if [ ! -x "$bin" ]; then
		(cd "$work" && GOTOOLCHAIN=local GOFLAGS= CGO_ENABLED=0 "$gobin" build -o "$bin.tmp" cmd/gofmt) >"$bin.log" 2>&1 &&
			mv "$bin.tmp" "$bin"
	fi
	if [ -x "$bin" ]; then
		"$resolve" "$bin" pcs 100000 >"$bin.pcs"
		(cd "$work" && GOTOOLCHAIN=local "$gobin" tool addr2line "$bin") <"$bin.pcs" >"$bin.want" 2>&1
		"$resolve" "$bin" addr2line <"$bin.pcs" >"$bin.got" 2>&1
		cnt=$(wc -l <"$bin.pcs")
		if [ "$cnt" -ge 5000 ] && cmp -s "$bin.want" "$bin.got"; then
			ok "$name: $cnt pcs (4 per function) match go tool addr2line"
		else
			notok "$name: $cnt pcs match go tool addr2line" "$(diff "$bin.want" "$bin.got" | head -4 | tr '\n' ' ')"
		fi
	else
		notok "$name: build" "$(tail -3 "$bin.log" | tr '\n' ' ')"
	fi
done
exit $fail
