#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Runs inside a test guest (bench/guest_cow.sh): fault_bench overhead once per
# copy-on-write source ksmscope can take there, each beside the minimal tp_btf counter.
for h in auto fexit kprobe perf; do
	echo "SOURCE $h"
	./fault_bench overhead --ksmscope ./ksmscope --hooks $h --rounds "${ROUNDS:-12}" --mib 8 --settle 200 2>&1
done
