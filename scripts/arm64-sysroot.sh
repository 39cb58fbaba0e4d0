#!/usr/bin/env bash
# Fetch Debian's arm64 packages that the arm64 build and its qemu test need,
# into build/arm64/ (cached): the static libraries the tracer links
# (libbpf, libelf, zlib, zstd, SQLite, libiberty, ncurses) unpacked into
# build/arm64/sysroot, and the kernels and busybox the qemu test boots: the
# release's 6.1 (perf-event uprobes) in build/arm64/kernel, and the newest
# kernel of its backports (6.12: uprobe_multi) in build/arm64/kernel-new.
# apt runs with its own lists and cache under build/arm64/apt and the host's
# sources: nothing is installed on the host, no foreign architecture is added.
#
#   scripts/arm64-sysroot.sh [outdir]     (default build/arm64)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/arm64}
apt_dir=$out/apt
sysroot=$out/sysroot
debs=$out/debs
stamp=$out/sysroot.stamp

# the libraries' -dev packages and what their .a files are built from
PKGS=(libbpf-dev libelf-dev zlib1g-dev libzstd-dev libsqlite3-dev libiberty-dev libncurses-dev
	linux-image-6.1.0-*-arm64 busybox-static)

# the stamp names the packages (and the backports kernel): a list that grew fetches again
want="${PKGS[*]} +backports-kernel"
[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && exit 0
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$debs" "$sysroot"
: >"$apt_dir/status"
APT=(apt-get -qq -o APT::Architecture=arm64 -o APT::Architectures::=arm64
	-o Dir::State::Lists="$(realpath "$apt_dir/lists")"
	-o Dir::State::status="$(realpath "$apt_dir/status")"
	-o Dir::Cache="$(realpath "$apt_dir/cache")"
	-o Debug::NoLocking=1)
"${APT[@]}" update
# the newest 6.1 kernel image the lists name (its ABI number changes with each point release)
kernel=$(apt-cache -o APT::Architecture=arm64 -o Dir::State::Lists="$(realpath "$apt_dir/lists")" \
	-o Dir::State::status="$(realpath "$apt_dir/status")" -o Dir::Cache="$(realpath "$apt_dir/cache")" \
	depends linux-image-arm64 | sed -n 's/.*Depends: \(linux-image-6\.1[^ ]*-arm64\)$/\1/p' | head -1)
[ -n "$kernel" ] || { echo "arm64-sysroot: no linux-image-6.1 arm64 package in the lists" >&2; exit 1; }
pkgs=("${PKGS[@]/linux-image-6.1.0-\*-arm64/$kernel}")
(cd "$debs" && "${APT[@]}" download "${pkgs[@]/%/:arm64}")
# a kernel package's boot image only (its modules are ~350 MB that qemu never reads)
boot_only() { mkdir -p "$2" && dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" ./boot; }
for d in "$debs"/*.deb; do
	case "$d" in
	*linux-image*) boot_only "$d" "$out/kernel" ;;
	*busybox*) dpkg-deb -x "$d" "$out/busybox" ;;
	*) dpkg-deb -x "$d" "$sysroot" ;;
	esac
done

# the backports' newest kernel, from its own lists (the host's sources name no backports)
. /etc/os-release
bp=$out/apt-backports
mkdir -p "$bp/lists/partial" "$bp/cache/archives/partial"
: >"$bp/status"
echo "deb http://deb.debian.org/debian ${VERSION_CODENAME}-backports main" >"$bp/sources.list"
BP=(-o APT::Architecture=arm64 -o APT::Architectures::=arm64
	-o Dir::State::Lists="$(realpath "$bp/lists")" -o Dir::State::status="$(realpath "$bp/status")"
	-o Dir::Cache="$(realpath "$bp/cache")" -o Dir::Etc::SourceList="$(realpath "$bp/sources.list")"
	-o Dir::Etc::SourceParts=/nonexistent -o Debug::NoLocking=1)
apt-get -qq "${BP[@]}" update
new=$(apt-cache "${BP[@]}" depends linux-image-arm64 |
	sed -n 's/.*Depends: \(linux-image-[0-9][^ ]*-arm64\)$/\1/p' | head -1)
[ -n "$new" ] || { echo "arm64-sysroot: no arm64 kernel in ${VERSION_CODENAME}-backports" >&2; exit 1; }
rm -rf "$bp/debs" "$out/kernel-new"
mkdir -p "$bp/debs"
(cd "$bp/debs" && apt-get -qq "${BP[@]}" download "$new:arm64")
boot_only "$bp"/debs/*.deb "$out/kernel-new"
echo "$want" >"$stamp"
echo "arm64-sysroot: $kernel, $new and ${#PKGS[@]} packages in $out"
