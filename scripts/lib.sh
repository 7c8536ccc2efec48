# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared helpers for the zcrx scripts. Source it; it defines functions and
# the project's paths, and runs nothing else.

# A failure inside $(...) stops a script under set -e as it would outside.
shopt -s inherit_errexit

# The tools we install are Debian's: use its python3 (which sees the
# python3-* packages) even where another one comes first in PATH.
export PATH=/usr/bin:$PATH

ZCRX_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ZCRX_BUILD=${ZCRX_BUILD:-$ZCRX_TOP/build}
ZCRX_WORK_TREE=${ZCRX_WORK_TREE:-$ZCRX_BUILD/linux}
ZCRX_PATCHES=${ZCRX_PATCHES:-$ZCRX_TOP/patches}
ZCRX_BASE_TAG=zcrx-base
PROG=${PROG:-$(basename "$0")}

eprintf() {
	# shellcheck disable=SC2059
	printf "$@" >&2
}

info() {
	eprintf '%s: %s\n' "$PROG" "$*"
}

# with_heartbeat LABEL COUNTER CMD...: run CMD, and every ZCRX_HEARTBEAT
# seconds (default 30) print LABEL, the time it has run and what the
# function COUNTER prints, so that a long step is not silent. Returns CMD's
# status.
with_heartbeat() {
	local label=$1 counter=$2 every=${ZCRX_HEARTBEAT:-30}
	local start=$SECONDS next pid rc=0

	shift 2
	"$@" &
	pid=$!
	next=$((start + every))
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		[ "$SECONDS" -ge "$next" ] || continue
		next=$((SECONDS + every))
		info "$label: $(((SECONDS - start) / 60))m$(((SECONDS - start) % 60))s," \
		     "$("$counter")"
	done
	wait "$pid" || rc=$?
	return "$rc"
}

die() {
	eprintf '%s: error: %s\n' "$PROG" "$*"
	exit 1
}

# Package sets, by what needs them. Debian bookworm names. Every program
# the scripts run must come from one of these or from a package every
# Debian system has: scripts/check-deps.py, run by the test command, checks.
# rsync: the kernel's headers_install; ncdevmem's source mirror. kmod:
# depmod for modules_install.
ZCRX_PKGS_KERNEL="make gcc libc6-dev flex bison bc libelf-dev libssl-dev
	ccache cpio xz-utils python3 git perl rsync kmod"
ZCRX_PKGS_VM="qemu-system-x86 busybox-static"
# The guest runs the host's programs (its root is the host's, over 9p).
# python3-yaml: the kernel's YNL CLI reads netdev netlink dumps with it.
ZCRX_PKGS_GUEST="iproute2 ethtool socat iperf3 kmod procps util-linux nftables tcpdump
	python3-yaml"
# groff-base: scripts/check-install.sh formats the installed man pages.
ZCRX_PKGS_USER="meson ninja-build g++ pkg-config catch2 liburing-dev libmnl-dev nlohmann-json3-dev
	groff-base"
# scripts/run-bench.sh and scripts/run-main.sh: the charts of their results.
ZCRX_PKGS_BENCH="gnuplot-nox"
ZCRX_PKGS_SERIES="git sparse python3-ply python3-git shfmt"
# ncdevmem (scripts/build-ncdevmem.sh): YNL code generation and libmnl.
ZCRX_PKGS_NCDEVMEM="make gcc rsync libmnl-dev python3-yaml python3-jsonschema"
# scripts/check-fresh.sh: a minimal bookworm root, and a clone to put in it.
ZCRX_PKGS_FRESH="debootstrap git"

pkg_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null |
		grep -q 'install ok installed'
}

# ensure_packages PKG...: install what is missing from bookworm's suites as
# configured on this machine (we never add suites), or say how to.
ensure_packages() {
	local missing=() p

	for p in "$@"; do
		pkg_installed "$p" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0

	if [ "$(id -u)" -ne 0 ]; then
		die "missing packages: ${missing[*]}; install them with:" \
		    "sudo apt-get install ${missing[*]}"
	fi
	info "installing missing packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -q --no-install-recommends "${missing[@]}" \
	     >"$ZCRX_BUILD/apt.log" 2>&1; then
		apt-get update -q >>"$ZCRX_BUILD/apt.log" 2>&1 ||
			die "apt-get update failed (no network to the package" \
			    "mirror?); see $ZCRX_BUILD/apt.log"
		apt-get install -y -q --no-install-recommends "${missing[@]}" \
			>>"$ZCRX_BUILD/apt.log" 2>&1 ||
			die "could not install ${missing[*]}; see" \
			    "$ZCRX_BUILD/apt.log"
	fi
}

# The work tree must exist and carry the base tag.
require_work_tree() {
	git -C "$ZCRX_WORK_TREE" rev-parse -q --verify \
		"refs/tags/$ZCRX_BASE_TAG" >/dev/null 2>&1 ||
		die "no kernel work tree at $ZCRX_WORK_TREE;" \
		    "run scripts/get-base.sh first"
}

# List the series' patch files in order, as named by patches/series.
series_patches() {
	local f

	[ -f "$ZCRX_PATCHES/series" ] || return 0
	while read -r f; do
		case "$f" in '' | '#'*) continue ;; esac
		printf '%s\n' "$ZCRX_PATCHES/$f"
	done <"$ZCRX_PATCHES/series"
}

mkdir -p "$ZCRX_BUILD"

# format_series OUTDIR: the work tree's commits on the base as patches, with
# a cover letter built from kernel/cover-letter.txt (subject line, blank
# line, body). Deterministic, so patches/ can be compared with a fresh run.
format_series() {
	local out=$1 cover=$ZCRX_TOP/kernel/cover-letter.txt subject n

	mkdir -p "$out"
	n=$(git -C "$ZCRX_WORK_TREE" rev-list --count "$ZCRX_BASE_TAG..HEAD")
	[ "$n" -gt 0 ] || die "the work tree has no commits on $ZCRX_BASE_TAG"
	git -C "$ZCRX_WORK_TREE" format-patch -q --zero-commit --no-signature \
		--abbrev=12 --cover-letter --subject-prefix=PATCH \
		-o "$out" "$ZCRX_BASE_TAG..HEAD"
	subject=$(head -n1 "$cover")
	python3 - "$out"/0000-cover-letter.patch "$cover" "$subject" \
		"$(git -C "$ZCRX_WORK_TREE" log -1 --format=%aD)" \
		"$(git -C "$ZCRX_WORK_TREE" log -1 --format='%an <%ae>')" <<'PY'
import re, sys
path, cover, subject, date, author = sys.argv[1:]
body = open(cover).read().split('\n', 1)[1].strip('\n')
text = open(path).read()
text = text.replace('*** SUBJECT HERE ***', subject, 1)
text = text.replace('*** BLURB HERE ***', body, 1)
# format-patch dates and signs the cover letter with the clock and the
# identity of whoever runs it; use the tip commit's so that exporting on
# any machine gives the same file.
text = re.sub(r'^Date: .*$', 'Date: ' + date, text, count=1, flags=re.M)
text = re.sub(r'^From: .*\n(?:[ \t].*\n)*', lambda m: 'From: ' + author + '\n',
              text, count=1, flags=re.M)
open(path, 'w').write(text)
PY
	(cd "$out" && ls [0-9][0-9][0-9][0-9]-*.patch | grep -v '^0000-') >"$out/series"
}

# series_matches_tree: patches/ is exactly what the work tree exports.
series_matches_tree() {
	local tmp rc=0

	tmp=$(mktemp -d)
	(format_series "$tmp") >/dev/null 2>&1 || rc=1
	if [ "$rc" -eq 0 ]; then
		diff -r -q "$tmp" "$ZCRX_PATCHES" >/dev/null 2>&1 || rc=1
	fi
	rm -rf "$tmp"
	return "$rc"
}

# meson_build DIR OPTION... [-- TARGET...]: set up (once) or reconfigure
# DIR, then build the targets (everything by default).
meson_build() {
	local dir=$1
	local -a opts=()

	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	[ $# -eq 0 ] || shift
	# A setup that failed half-way leaves a directory meson cannot use.
	[ -f "$dir/meson-private/coredata.dat" ] || rm -rf "$dir"
	{ [ -d "$dir" ] || meson setup "$dir" "$ZCRX_TOP" "${opts[@]}"; } &&
		meson configure "$dir" "${opts[@]}" && meson compile -C "$dir" "$@"
}

# Where build_perf_vm puts the tools: built with optimisation (-O2), as
# anything measured must be, apart from the tests' unoptimised build/meson.
ZCRX_PERF_BIN=$ZCRX_BUILD/meson-perf/userspace/tools

# build_perf_vm: what a run on the perf kernel needs: the patched kernel's
# perf variant, and the userspace tools (ZCRX_PERF_BIN) built against its
# uAPI headers. Progress goes to stderr.
build_perf_vm() {
	"$ZCRX_TOP/scripts/get-base.sh"
	"$ZCRX_TOP/scripts/apply-series.sh"
	"$ZCRX_TOP/scripts/build-kernel.sh" perf
	info "building the userspace tools"
	mkdir -p "$ZCRX_BUILD/logs"
	meson_build "$ZCRX_BUILD/meson-perf" -Dbuildtype=debugoptimized \
		-Dkernel_headers="$ZCRX_BUILD/kernel-perf/usr/include" \
		>"$ZCRX_BUILD/logs/meson-main.log" 2>&1 ||
		die "userspace build failed; see $ZCRX_BUILD/logs/meson-main.log"
}
