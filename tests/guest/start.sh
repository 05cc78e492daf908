#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# start.sh KERNEL INITRD NAME MIB LOG: a guest as a workload. Starts a TCG guest in the
# background with its RAM mergeable (mem-merge=on, as QEMU's default), waits until the
# initramfs says GUEST-READY (built with initramfs.sh's RUN "-") and prints QEMU's pid.
# The caller kills it. QEMU_EXTRA: more QEMU arguments (e.g. a memory backend).
set -uo pipefail
[ $# -eq 5 ] || { echo "usage: start.sh KERNEL INITRD NAME MIB LOG" >&2; exit 2; }
kernel=$1 initrd=$2 name=$3 mem=$4 log=$5
pidf=$(mktemp)
trap 'rm -f "$pidf"' EXIT
: > "$log"
qemu-system-x86_64 -accel tcg -cpu max -m "$mem" -smp 1 -machine mem-merge=on -name "$name" \
	-kernel "$kernel" -initrd "$initrd" -nographic -no-reboot -nodefaults -serial "file:$log" \
	-append "console=ttyS0 quiet loglevel=3" -daemonize -pidfile "$pidf" ${QEMU_EXTRA:-} || exit 1
pid=$(cat "$pidf")
for _ in $(seq 1200); do
	grep -q GUEST-READY "$log" && { echo "$pid"; exit 0; }
	kill -0 "$pid" 2> /dev/null || { echo "start.sh: guest $name died" >&2; exit 1; }
	sleep 0.1
done
kill "$pid"
echo "start.sh: guest $name not ready within 120 s" >&2
exit 1
