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
check "cgroup: B's peers, most pages first (A: 96 + 128, C: 96 + 128, equal: by index)" \
	"$(jq -c --arg b "$B" '.domains[] | select(.key == $b) | .peer_domains' "$J")" "[\"$A\",\"$C\"]"
check "user: root and $NOBODY share the zero frame alone (B-C's contents are both $NOBODY's)" \
	"$(jq -c "$PAIRS"' | map([.domain, .peer, .frames])' "$TMPD/audit.user.json")" "[[\"$NOBODY\",\"root\",1]]"
check "the zero-page note" "$(jq -r '.zero_page_merges.note' "$J" | grep -c 'zero page')" 1

# live: watch's snapshots and serve's families carry the frame side, the groups being the domains
"$KSMSCOPE" watch --json --pid "$ALL" --group-by cgroup --interval 0.3 --scan-rate 1000 > "$TMPD/w.jsonl" \
	2> "$TMPD/w.err" &
WP=$!
CHILDREN+=($WP)
python3 "$(dirname "$0")/snapwait.py" "$TMPD/w.jsonl" 's["audit"] is not None' 60 > "$TMPD/snap.json" ||
	fail "watch: no snapshot with audit: $(cat "$TMPD/w.err")"
kill -INT $WP; wait $WP
LIVE='[.frames, .cross_domain_frames, .cross_domain_pages, .ksm_saved, .ksm_saved_cross_domain, .ksm_saved_lost_if_partitioned, .pairs_total]'
check "watch --json: audit's frame side equals the audit command's" "$(jq -c ".audit | $LIVE" "$TMPD/snap.json")" \
	"$(jq -c "$LIVE" "$J")"
check "watch --json: audit's pairs equal the audit command's" "$(jq -c ".audit | $PAIRS" "$TMPD/snap.json")" \
	"$(jq -c "$PAIRS" "$J")"
check "audit is null exactly while no exact pass has finished" \
	"$(jq -s 'all(.[]; (.audit == null) == (.totals.saveable == null or .sample.estimate))' "$TMPD/w.jsonl")" true

"$KSMSCOPE" serve --pid "$ALL" --group-by cgroup --interval 0.3 --scan-rate 1000 --audit-top 1 \
	--listen 127.0.0.1:19575 2> "$TMPD/serve.err" &
SP=$!
CHILDREN+=($SP)
deadline=$((SECONDS + 60))
until curl -s --max-time 2 http://127.0.0.1:19575/metrics > "$TMPD/m.txt" && grep -q '^ksmscope_cross_domain_frames' "$TMPD/m.txt"; do
	[ $SECONDS -gt $deadline ] && { fail "serve: no audit families: $(cat "$TMPD/serve.err")"; break; }
	sleep 0.2
done
kill -INT $SP; wait $SP
metric() { awk -v m="$1" '$1 == m { print $2 }' "$TMPD/m.txt"; }
check "serve: ksmscope_cross_domain_frames" "$(metric 'ksmscope_cross_domain_frames{group="all"}')" 97
check "serve: ksmscope_cross_domain_pages" "$(metric 'ksmscope_cross_domain_pages{group="all"}')" "$(jq .cross_domain_pages "$J")"
check "serve --audit-top 1: one pair, both ways" "$(grep -c '^ksmscope_domain_shared_pages{' "$TMPD/m.txt")" 2
check "serve: A's pages on frames it shares with B, and B's" \
	"$(metric "ksmscope_domain_shared_pages{domain=\"$A\",peer=\"$B\"}") $(metric "ksmscope_domain_shared_pages{domain=\"$B\",peer=\"$A\"}")" \
	"$(jq -r --arg a "$A" "$PAIRS"' | map(select(.domain == $a and .frames == 65))[0] | "\(.domain_pages) \(.peer_pages)"' "$J")"
promtool check metrics < "$TMPD/m.txt" > "$TMPD/promtool.out" 2>&1
check "promtool check metrics" "$?" 0

"$KSMSCOPE" audit --pid "$ALL" > "$TMPD/audit.txt"
check "text: exit status" $? 0
check_true "text: the top pairs" grep -q "^  $A <-> $B: 65 frames" "$TMPD/audit.txt"
check_true "text: the matrix" grep -q "^\[1\] " "$TMPD/audit.txt"

# zero-page merges (use_zero_pages=1): apart, never cross-domain; the zero pages' KSM frame is gone
unmerged() { [ "$(cat "$KSM/pages_shared") $(cat "$KSM/pages_sharing")" = "0 0" ]; }
echo 2 > "$KSM/run"
wait_for "every page unmerged" 100 unmerged
echo 1 > "$KSM/use_zero_pages"
ZEXPECT=()
for i in "${!PIDS[@]}"; do
	ZEXPECT+=("$(jq '.merged_expected_use_zero_pages + .shared' "$TMPD/w$((i + 1)).out" | head -1)")
done
zero_merged() {
	local i
	for i in "${!PIDS[@]}"; do
		merging_is "${PIDS[i]}" "${ZEXPECT[i]}" && zero_is "${PIDS[i]}" 32 || return 1
	done
}
echo 1 > "$KSM/run"
wait_for "merged again, zero pages into the zero page" 100 zero_merged
echo 0 > "$KSM/run"
"$KSMSCOPE" audit --pid "$ALL" --json > "$TMPD/zero.json"
check "use_zero_pages=1: zero-page merges apart, as ksm_stat counts them" \
	"$(jq .zero_page_merges.pages "$TMPD/zero.json")" \
	"$(for p in "${PIDS[@]}"; do ksm_stat "$p" ksm_zero_pages; done | awk '{ s += $1 } END { print s }')"
check "use_zero_pages=1: the zero pages' cross-domain frame is gone (64 + 32)" \
	"$(jq .cross_domain_frames "$TMPD/zero.json")" 96
check "use_zero_pages=1: each domain's zero-page merges" \
	"$(jq -c '[.domains[] | .ksm_zero_pages]' "$TMPD/zero.json")" "[32,64,96]"

expect_error "audit: --domain comm" "--domain: 'comm'" "$KSMSCOPE" audit --domain comm
expect_error "audit: unknown pid" "no process with pid 4000000" "$KSMSCOPE" audit --pid 4000000
