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
# sampled: prefixes read by frame (the BPF page reader and the architecture's direct map);
# every class of 10 copies is above the threshold of --sample 4, so the figures are exact
echo "SSCANJSON $(./ksmscope scan --json --sample 4 --pid $W 2> /tmp/sscan.err)"
echo "SSCANERR $(cat /tmp/sscan.err)"
kill -KILL $W
# use_zero_pages=1: 6.1 counts no zero-page merges, so scan cannot know them
echo 2 > $KSM/run
while [ "$(cat $KSM/pages_sharing)" != 0 ]; do sleep 0.1; done
echo 1 > $KSM/use_zero_pages
./workload --contents 8 --copies 4 --zero 64 --write-copies 0 --pipe-copies 0 > /tmp/z.out 2> /tmp/z.err &
Z=$!
while [ ! -s /tmp/z.out ]; do sleep 0.1; done
echo 1 > $KSM/run
start=$(cat $KSM/full_scans)
while [ "$(cat /proc/$Z/ksm_merging_pages)" != 32 ] || [ $(($(cat $KSM/full_scans) - start)) -lt 3 ]; do
	[ $(($(cat $KSM/full_scans) - start)) -gt 20 ] && break
	sleep 0.1
done
echo 0 > $KSM/run
echo "ZMERGING $(cat /proc/$Z/ksm_merging_pages)"
echo "ZSCANJSON $(./ksmscope scan --json --pid $Z 2> /tmp/zscan.err)"
echo "ZSCANERR $(cat /tmp/zscan.err)"
kill -KILL $Z
echo 0 > $KSM/use_zero_pages
echo 0 > $KSM/run
