#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Sampled estimates on real memory: three QEMU guests (TCG, 256 MiB each, a Debian
# kernel booting a busybox initramfs, RAM mergeable) and four Python interpreters
# started alike (tests/interp_workload.py). Each set, frozen, is scanned exactly once
# and with --sample 16 24 times; sampling_stats.py holds the estimates to the issue's
# bounds. The exact scan is itself the page-by-page truth (test_scan holds it to
# refscan). The probe pass makes the sampled scans sample prefix classes by size.
. "$(dirname "$0")/lib.sh"
GUEST=$(dirname "$0")/../guest
STATS=$(dirname "$0")/sampling_stats.py
INTERP=$(dirname "$0")/../interp_workload.py

kernel=$("$GUEST/kernel.sh" 2> "$TMPD/kernel.err") || { fail "no guest kernel: $(tail -1 "$TMPD/kernel.err")"; exit 1; }
# every guest holds the same 24 MiB twice (its initramfs and a copy in tmpfs), as VMs booted
# from one image do: enough sharing across guests that saveable_inter's standard error is
# ~1.5% of it, so the 10% bar sits 6 SE out, not 3 (an idle guest shares only its kernel)
python3 -c "import random, sys; random.seed(11); sys.stdout.buffer.write(random.randbytes(24 << 20))" > "$TMPD/blob"
printf '#!/bin/sh\ncp /payload/blob /tmp/dup\necho GUEST-READY\nexec sleep 1000000\n' > "$TMPD/guest.run"
"$GUEST/initramfs.sh" "$TMPD/idle.gz" "$TMPD/guest.run" "$TMPD/blob" || { fail "initramfs"; exit 1; }
rm -f "$TMPD/blob"

# stats TAG PIDS: exact once, sampled 24 times, the targets stopped meanwhile
stats() {
	local tag=$1 pids=$2 i line
	kill -STOP ${pids//,/ }
	"$KSMSCOPE" scan --pid "$pids" --json > "$TMPD/$tag.exact.json"
	check "$tag: exact scan" $? 0
	: > "$TMPD/$tag.runs.jsonl"
	for i in $(seq 24); do
		"$KSMSCOPE" scan --pid "$pids" --sample 16 --json >> "$TMPD/$tag.runs.jsonl" || fail "$tag: sampled scan $i"
	done
	kill -CONT ${pids//,/ }
	check "$tag: sampled scans sample prefix classes (prefixes by frame)" \
		"$(head -1 "$TMPD/$tag.runs.jsonl" | jq -r .sample.prefix_reader)" bpf
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"FAIL - "*) fail "${line#FAIL - }" ;;
		esac
	done < <(python3 "$STATS" "$tag" "$TMPD/$tag.exact.json" "$TMPD/$tag.runs.jsonl")
	echo "$tag: exact $(jq -c '[.totals.sites, .totals.saveable, .cost.seconds, .cost.pages_read]' "$TMPD/$tag.exact.json")," \
		"sampled $(head -1 "$TMPD/$tag.runs.jsonl" | jq -c '[.totals.saveable, .sample.saveable_se, .cost.seconds, .cost.pages_read]')"
}

GPIDS=""
for i in 1 2 3; do
	pid=$("$GUEST/start.sh" "$kernel" "$TMPD/idle.gz" "ksmscope-test-guest$i" 256 "$TMPD/guest$i.log") \
		|| { fail "guest $i did not boot"; exit 1; }
	CHILDREN+=("$pid")
	GPIDS=${GPIDS:+$GPIDS,}$pid
done
stats guests "$GPIDS"

# --group-by vm: each guest by its QEMU -name, anything else by comm
kill -STOP ${GPIDS//,/ }
"$KSMSCOPE" scan --pid "$GPIDS,$$" --group-by vm --json > "$TMPD/vm.json"
check "group-by vm: scan" $? 0
"$KSMSCOPE" scan --pid "$GPIDS" --json > "$TMPD/byproc.json"
kill -CONT ${GPIDS//,/ }
check "group-by vm: a group per guest, keyed by its -name, and the shell by comm" \
	"$(jq -c '[.groups[] | [.key, .vm]] | sort' "$TMPD/vm.json")" \
	'[["bash",null],["ksmscope-test-guest1","ksmscope-test-guest1"],["ksmscope-test-guest2","ksmscope-test-guest2"],["ksmscope-test-guest3","ksmscope-test-guest3"]]'
check "group-by vm: each guest holds the sites its process holds" \
	"$(jq -c '[.groups[] | select(.vm != null) | [.pids[0], .sites]] | sort' "$TMPD/vm.json")" \
	"$(jq -c '[.groups[] | [.pids[0], .sites]] | sort' "$TMPD/byproc.json")"

IPIDS=""
for i in 1 2 3 4; do
	python3 "$INTERP" > "$TMPD/interp$i.out" &
	CHILDREN+=($!)
	IPIDS=${IPIDS:+$IPIDS,}$!
done
for i in 1 2 3 4; do
	deadline=$((SECONDS + 60))
	until grep -q ready "$TMPD/interp$i.out"; do
		[ $SECONDS -gt $deadline ] && { fail "interpreter $i not ready"; exit 1; }
		sleep 0.1
	done
done
stats interpreters "$IPIDS"
