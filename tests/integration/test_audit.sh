#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# ksmscope audit on a constructed case with real KSM: six processes in three cgroups of our
# own, run by two users, holding contents shared across cgroups (A-B: 64, B-C: 32, every
# one: the zero pages), shared only inside one (C: 16) and their own. The audit's frame
# figures (frame -> sharers -> domain) and its partitioned what-if are compared with the
# reference scanner's independent count from pagemap, kpageflags and the page contents,
# by cgroup and by user. KSM's settings are saved and restored; the cgroups are removed.
. "$(dirname "$0")/lib.sh"
ksm_save
ksm_fast

CG2=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts)
ROOT="$CG2/ksmscope-audit-$$"
mkdir "$ROOT" || { fail "cannot make a cgroup under '$CG2'"; exit 1; }
RMDIRS+=("$ROOT")
for c in a b c; do mkdir "$ROOT/$c" && RMDIRS+=("$ROOT/$c"); done
# a copy of the workload the unprivileged user may run, and a way to run it as that user
chmod 711 "$TMPD"
BIND="$TMPD/bin"
mkdir -m 755 "$BIND"
cp "$WORKLOAD" "$BIND/workload"
printf '#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups %s "$@"\n' "$BIND/workload" > "$BIND/nobody"
chmod 755 "$BIND/workload" "$BIND/nobody"
NOBODY=$(id -nu 65534)

PIDS=()
# run CGROUP USER NAME ARGS...: a workload in that cgroup as that user
run() {
	local cg=$1 user=$2 name=$3; shift 3
	if [ "$user" = root ]; then
		start_workload "$name" "$@" --write-copies 0 --pipe-copies 0 || exit 1
	else
		WORKLOAD="$BIND/nobody" start_workload "$name" "$@" --write-copies 0 --pipe-copies 0 || exit 1
	fi
	echo "$WL_PID" > "$ROOT/$cg/cgroup.procs"
	PIDS+=("$WL_PID")
	EXPECT+=("$(echo "$WL_JSON" | jq '.merged_expected + .shared')")
}
EXPECT=()
run a root w1 --contents 8 --copies 4 --shared 64 --shared-seed 11
run b root w2 --contents 8 --copies 4 --shared 64 --shared-seed 11
run b nobody w3 --shared 32 --shared-seed 22
run c nobody w4 --shared 32 --shared-seed 22
run c root w5 --shared 16 --shared-seed 33
run c root w6 --shared 16 --shared-seed 33
ALL=$(IFS=,; echo "${PIDS[*]}")
check "two users" "$(for p in "${PIDS[@]}"; do stat -c %U "/proc/$p"; done | sort -u | tr '\n' ' ')" "$NOBODY root "

all_merged() {
	local i
	for i in "${!PIDS[@]}"; do merging_is "${PIDS[i]}" "${EXPECT[i]}" || return 1; done
}
echo 1 > "$KSM/run"
wait_for "every duplicate merged" 100 all_merged
echo 0 > "$KSM/run" # what is merged stays merged

# pairs in one order (domain < peer), so the two lists compare
PAIRS='[.pairs[] | if .domain < .peer then . else {domain: .peer, peer: .domain, frames, domain_pages: .peer_pages, peer_pages: .domain_pages} end | {domain, peer, frames, domain_pages, peer_pages}] | sort_by(.domain, .peer)'
FIGS='[.frames, .cross_domain_frames, .cross_domain_pages, .ksm_saved, .ksm_saved_cross_domain, .ksm_saved_lost_if_partitioned, .saveable, .saveable_within_domain, .saveable_mergeable, .saveable_mergeable_within_domain]'
DOMS='[.domains[] | {key, ksm_sites, cross_domain_sites, peers, saveable_within_domain, saveable_mergeable_within_domain}] | sort_by(.key)'
REFDOMS='[.domains | to_entries[] | {key: .key} + .value] | sort_by(.key)'

for domain in cgroup user; do
	kill -STOP "${PIDS[@]}"
	"$KSMSCOPE" audit --pid "$ALL" --domain $domain --json > "$TMPD/audit.$domain.json"
	check "audit --domain $domain: exit status" $? 0
	python3 "$(dirname "$0")/../refscan.py" --group-by $domain --audit "${PIDS[@]}" > "$TMPD/ref.$domain.json"
	check "refscan --group-by $domain: exit status" $? 0
	kill -CONT "${PIDS[@]}"
	check "$domain: frames, cross-domain frames and pages, KSM saving and what partitioning loses, saveable across and within" \
		"$(jq -c "$FIGS" "$TMPD/audit.$domain.json")" "$(jq -c ".audit | $FIGS" "$TMPD/ref.$domain.json")"
	check "$domain: per domain" "$(jq -c "$DOMS" "$TMPD/audit.$domain.json")" \
		"$(jq -c ".audit | $REFDOMS" "$TMPD/ref.$domain.json")"
	check "$domain: the pairs of domains sharing frames" "$(jq -c "$PAIRS" "$TMPD/audit.$domain.json")" \
		"$(jq -c ".audit | $PAIRS" "$TMPD/ref.$domain.json")"
done

A="/ksmscope-audit-$$/a" B="/ksmscope-audit-$$/b" C="/ksmscope-audit-$$/c"
J="$TMPD/audit.cgroup.json"
# known from the workloads: 64 frames A-B, 32 B-C, and the zero pages' frame in all three
check "cgroup: 64 + 32 + 1 cross-domain frames" "$(jq .cross_domain_frames "$J")" 97
check "cgroup: A and B share 65 frames, B and C 33, A and C the zero frame" \
	"$(jq -c --arg a "$A" --arg b "$B" --arg c "$C" "$PAIRS"' | map([.domain, .peer, .frames])' "$J")" \
	"[[\"$A\",\"$B\",65],[\"$A\",\"$C\",1],[\"$B\",\"$C\",33]]"
check "cgroup: C's sites on frames of its own: 3 x 64 x 4 own copies and the 2 x 16 shared inside C" \
	"$(jq --arg c "$C" '.domains[] | select(.key == $c) | .ksm_sites - .cross_domain_sites' "$J")" 800
check "user: root and $NOBODY share the zero frame alone (B-C's contents are both $NOBODY's)" \
	"$(jq -c "$PAIRS"' | map([.domain, .peer, .frames])' "$TMPD/audit.user.json")" "[[\"$NOBODY\",\"root\",1]]"
check "the zero-page note" "$(jq -r '.zero_page_merges.note' "$J" | grep -c 'zero page')" 1

"$KSMSCOPE" audit --pid "$ALL" > "$TMPD/audit.txt"
check "text: exit status" $? 0
check_true "text: the top pairs" grep -q "^  $A <-> $B: 65 frames" "$TMPD/audit.txt"
check_true "text: the matrix" grep -q "^\[1\] " "$TMPD/audit.txt"

expect_error "audit: --domain comm" "--domain: 'comm'" "$KSMSCOPE" audit --domain comm
expect_error "audit: unknown pid" "no process with pid 4000000" "$KSMSCOPE" audit --pid 4000000
