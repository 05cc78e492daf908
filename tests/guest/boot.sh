#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# boot.sh KERNEL INITRD [-m MIB] [-s CPUS] [-t SECONDS] [-a APPEND] [-- QEMU-ARGS...]
# Boots a test guest under TCG (no KVM needed) with its console on stdout, and exits
# with the status the guest's RUN script printed ("GUEST-EXIT N"), or 124 if the guest
# did not finish within SECONDS (default 300), or 125 if it never said.
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
timeout --foreground -k 5 "$secs" qemu-system-x86_64 -accel tcg -cpu max -m "$mem" -smp "$cpus" \
	-kernel "$kernel" -initrd "$initrd" -nographic -no-reboot -nodefaults -serial stdio \
	-append "console=ttyS0 panic=-1 quiet loglevel=3 $append" "$@" < /dev/null | tee "$log"
rc=${PIPESTATUS[0]}
[ "$rc" = 124 ] && exit 124
st=$(tr -d '\r' < "$log" | sed -n 's/^GUEST-EXIT \([0-9]*\)$/\1/p' | tail -1)
[ -n "$st" ] || exit 125
exit "$st"
