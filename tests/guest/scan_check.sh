#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Runs inside a test guest (busybox sh, /payload holds ksmscope and workload): merges a
# known workload with KSM, then prints what the host test compares, one "KEY value"
# line each, the JSON ones on a line of their own.
KSM=/sys/kernel/mm/ksm
echo "KERNEL $(uname -r)"
echo "KSMJSON $(./ksmscope ksm --json)"
echo 0 > $KSM/run
echo 4000 > $KSM/pages_to_scan
echo 10 > $KSM/sleep_millisecs
echo 1 > $KSM/run
./workload --contents 32 --copies 10 --zero 0 --write-copies 0 --pipe-copies 0 > /tmp/w.out 2> /tmp/w.err &
W=$!
while [ ! -s /tmp/w.out ]; do sleep 0.1; done
echo "WORKLOAD $(head -1 /tmp/w.out)"
# until the kernel says every mergeable page is merged, or 20 full scans went by
start=$(cat $KSM/full_scans)
while [ "$(cat /proc/$W/ksm_merging_pages)" != 320 ]; do
	[ $(($(cat $KSM/full_scans) - start)) -gt 20 ] && break
	sleep 0.1
done
echo "MERGING $(cat /proc/$W/ksm_merging_pages)"
kill -STOP $W
echo "SHARING $(cat $KSM/pages_sharing) $(cat $KSM/pages_shared)"
echo "SCANJSON $(./ksmscope scan --json --pid $W 2> /tmp/scan.err)"
echo "SCANERR $(cat /tmp/scan.err)"
kill -KILL $W
echo 0 > $KSM/run
