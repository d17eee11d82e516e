# go-lib.sh: sourced by the tests of the Go corpus (gen-cores.sh and the
# tests that read its cores) after they set $here to their own directory:
# the source and build trees, and which releases of the matrix a run keeps.

top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
top_builddir=$(cd "$top_builddir" && pwd)
export top_srcdir top_builddir

# cw_release_wanted REL: true when $CW_GO_VERSIONS is empty or one of its
# words is REL or a prefix of it at a dot ("1.22" keeps 1.22.0 and 1.22.12).
cw_release_wanted() {
	[ -n "${CW_GO_VERSIONS:-}" ] || return 0
	local want
	for want in $CW_GO_VERSIONS; do
		case "$1" in "$want"|"$want".*) return 0;; esac
	done
	return 1
}
