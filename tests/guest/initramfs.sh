#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# initramfs.sh OUT.cpio.gz RUN [FILE...]: a busybox initramfs for a test guest.
# /init mounts proc, sys, devtmpfs, debugfs/tracefs and bpffs, then runs RUN (a shell
# script, copied to /payload/run) with /payload as its directory and prints
# "GUEST-EXIT <status>" on the console before powering off. RUN "-" makes an idle guest
# that prints "GUEST-READY" and waits (a VM as a workload). Each FILE is copied into
# /payload with the shared libraries it needs, so host binaries run inside; a data
# file is copied alone. GUEST_ARCH=arm64: an arm64 guest (busybox-static:arm64 from the
# archive, the libraries of cross-built binaries from Debian's multiarch ones).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: initramfs.sh OUT.cpio.gz RUN|- [FILE...]" >&2; exit 2; }
out=$1 run=$2; shift 2
arch=${GUEST_ARCH:-x86}
case $arch in
x86) bb=/bin/busybox triplet=x86_64-linux-gnu ;;
arm64) bb=$("$(dirname "$0")/busybox.sh" arm64) triplet=aarch64-linux-gnu ;;
*) echo "initramfs.sh: GUEST_ARCH=$arch: x86 or arm64" >&2; exit 2 ;;
esac
[ -x "$bb" ] || { echo "initramfs.sh: needs a static busybox for $arch (busybox-static)" >&2; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,payload,etc,root}
cp "$bb" "$root/bin/busybox"

# libs ELF: the loader and every library ELF needs, recursively, as the paths they have
# on this machine (Debian's multiarch directories hold the other architecture's too).
# readelf, not ldd: ldd runs the loader, which cannot load a foreign binary.
libs() {
	local todo=("$1") seen=" " f lib d
	while [ ${#todo[@]} -gt 0 ]; do
		f=${todo[0]} todo=("${todo[@]:1}")
		# a data file has neither: readelf fails on it
		{ readelf -lW "$f" 2> /dev/null || true; } | sed -n 's/.*\[Requesting program interpreter: \(.*\)\]/\1/p'
		for lib in $({ readelf -dW "$f" 2> /dev/null || true; } | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			case $seen in *" $lib "*) continue ;; esac
			seen="$seen$lib "
			for d in /lib/$triplet /usr/lib/$triplet; do
				if [ -e "$d/$lib" ]; then
					echo "$d/$lib"
					todo+=("$d/$lib")
					break
				fi
			done
		done
	done
}
for f in "$@"; do
	cp -L "$f" "$root/payload/"
	# shared libraries at the paths the loader looks for them (none for a data file)
	libs "$f" | sort -u | while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
done
if [ "$run" = - ]; then
	printf '#!/bin/sh\necho GUEST-READY\nexec sleep 1000000\n' > "$root/payload/run"
else
	cp "$run" "$root/payload/run"
fi
chmod +x "$root/payload/run"
cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/payload
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
mount -t tmpfs tmp /tmp
cd /payload
echo
sh ./run
echo "GUEST-EXIT $?"
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
