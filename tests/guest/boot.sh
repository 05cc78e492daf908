#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# boot.sh KERNEL INITRD [-m MIB] [-s CPUS] [-t SECONDS] [-a APPEND] [-- QEMU-ARGS...]
# Boots a test guest under TCG (no KVM needed) with its console on stdout, and exits
# with the status the guest's RUN script printed ("GUEST-EXIT N"), or 124 if the guest
# did not finish within SECONDS (default 300), or 125 if it never said.
# GUEST_ARCH=arm64: qemu-system-aarch64's virt board (a Debian arm64 kernel).
set -uo pipefail
[ $# -ge 2 ] || { echo "usage: boot.sh KERNEL INITRD [-m MIB] [-s CPUS] [-t S] [-a APPEND] [-- QEMU-ARGS]" >&2; exit 2; }
kernel=$1 initrd=$2; shift 2
mem=512 cpus=1 secs=300 append=""
while [ $# -gt 0 ]; do
	case $1 in
	-m) mem=$2; shift 2 ;;
	-s) cpus=$2; shift 2 ;;
	-t) secs=$2; shift 2 ;;
	-a) append=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "boot.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
log=$(mktemp)
trap 'rm -f "$log"' EXIT
case ${GUEST_ARCH:-x86} in
x86) qemu=(qemu-system-x86_64 -cpu max) console=ttyS0 ;;
# pauth-impdef: QEMU's cheap pointer-authentication hash, not the slow architected one
arm64) qemu=(qemu-system-aarch64 -machine virt -cpu max,pauth-impdef=on) console=ttyAMA0 ;;
*) echo "boot.sh: GUEST_ARCH=$GUEST_ARCH: x86 or arm64" >&2; exit 2 ;;
esac
timeout --foreground -k 5 "$secs" "${qemu[@]}" -accel tcg -m "$mem" -smp "$cpus" \
	-kernel "$kernel" -initrd "$initrd" -nographic -no-reboot -nodefaults -serial stdio \
	-append "console=$console panic=-1 quiet loglevel=3 $append" "$@" < /dev/null | tee "$log"
rc=${PIPESTATUS[0]}
[ "$rc" = 124 ] && exit 124
st=$(tr -d '\r' < "$log" | sed -n 's/^GUEST-EXIT \([0-9]*\)$/\1/p' | tail -1)
[ -n "$st" ] || exit 125
exit "$st"
