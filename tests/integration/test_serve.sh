#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# ksmscope serve: scraped over HTTP by curl and by a real Prometheus server;
# the exposition passes promtool; bad paths 404; slow and garbage clients
# stall nothing; SIGINT frees the port.
. "$(dirname "$0")/lib.sh"
ksm_save
echo 0 > "$KSM/run"

PORT=19572
PROM_PORT=19590
URL=http://127.0.0.1:$PORT

scrape() { curl -s --max-time 5 "$URL/metrics"; }
# metric NAME-WITH-LABELS: its value in a scrape
metric() { scrape | awk -v m="$1" '$1 == m { print $2 }'; }
has_pass() { scrape | grep -q '^ksmscope_sites_pages{group="all"}'; }

start_workload s --contents 16 --copies 3 --zero 8 --unmergeable 6 --write-copies 0 --pipe-copies 0 || exit 1
W=$WL_PID
"$KSMSCOPE" scan --json --pid $W > "$TMPD/scan.json" || fail "scan --json"

"$KSMSCOPE" serve --pid $W --interval 0.3 --scan-rate 1000 --listen 127.0.0.1:$PORT 2> "$TMPD/serve.err" &
CHILDREN+=($!)
S=$!
deadline=$((SECONDS + 30))
until has_pass; do
	[ $SECONDS -gt $deadline ] && { fail "serve: no metrics after 30 s: $(cat "$TMPD/serve.err")"; exit 1; }
	sleep 0.1
done
ok "serve: /metrics answers after the first pass"

scrape > "$TMPD/m1.txt"
promtool check metrics < "$TMPD/m1.txt" > "$TMPD/promtool.out" 2>&1
check "promtool check metrics" "$?" 0
check "promtool says nothing" "$(cat "$TMPD/promtool.out")" ""
check "content type is the exposition format" \
	"$(curl -s -o /dev/null -w '%{content_type}' "$URL/metrics")" "text/plain; version=0.0.4; charset=utf-8"
check "saveable (kind=total) equals scan --json" "$(metric 'ksmscope_saveable_pages{group="all",kind="total"}')" \
	"$(jq .totals.saveable "$TMPD/scan.json")"
check "the group is labelled with pid and comm" \
	"$(grep -c "^ksmscope_sites_pages{group=\"$W\",pid=\"$W\",comm=\"workload\"}" "$TMPD/m1.txt")" 1
check "missed not_mergeable = D - 1" "$(metric "ksmscope_missed_pages{group=\"all\",reason=\"not_mergeable\"}")" 5
for fam in ksmscope_sites_pages ksmscope_saveable_pages ksmscope_mergeable_saveable_pages \
	ksmscope_ksm_saved_pages ksmscope_effectiveness_ratio ksmscope_missed_pages ksmscope_merges_total \
	ksmscope_unmerges_total ksmscope_merge_latency_seconds ksmscope_ksmd_cpu_seconds_total \
	ksmscope_ring_buffer_drops_total ksmscope_unshare_debt_pages ksmscope_ksm_unshare_debt_pages \
	ksmscope_mem_available_pages; do
	check_true "family $fam has HELP and TYPE" grep -q "^# TYPE $fam " "$TMPD/m1.txt"
done
check "unshare debt of the targets = ksm_saved + ksm_zero_pages" \
	"$(metric 'ksmscope_unshare_debt_pages{group="all"}')" \
	"$(( $(metric 'ksmscope_ksm_saved_pages{group="all"}') + $(metric 'ksmscope_ksm_zero_pages{group="all"}') ))"
check_true "MemAvailable is exported beside it" test "$(metric 'ksmscope_mem_available_pages{group="all"}')" -gt 0
check "the histogram has a +Inf bucket" \
	"$(grep -c '^ksmscope_merge_latency_seconds_bucket{group="all",le="+Inf"}' "$TMPD/m1.txt")" 1

check "a bad path is 404" "$(curl -s -o /dev/null -w '%{http_code}' "$URL/nope")" 404
check "POST is 405" "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x "$URL/metrics")" 405
check "/ is an index" "$(curl -s -o /dev/null -w '%{http_code}' "$URL/")" 200

# slow clients: connections that send half a request and wait; scrapes still answer at once
for i in 1 2 3 4 5 6 7 8; do
	exec {fd}<>/dev/tcp/127.0.0.1/$PORT
	printf 'GET /metr' >&$fd
	SLOW+=($fd)
done
t0=$(date +%s%N)
check_true "a scrape answers while 8 clients stall" has_pass
t1=$(date +%s%N)
check_true "... within a second ($(((t1 - t0) / 1000000)) ms)" test $(((t1 - t0) / 1000000)) -lt 1000
# garbage and an oversized request line
head -c 4096 /dev/urandom > "$TMPD/garbage"
curl -s --max-time 3 -o /dev/null "$URL/$(head -c 100000 /dev/zero | tr '\0' a)"
exec {g}<>/dev/tcp/127.0.0.1/$PORT
cat "$TMPD/garbage" >&$g 2>/dev/null
exec {g}>&-
for fd in "${SLOW[@]}"; do exec {fd}>&-; done
check_true "serve survives garbage and an oversized URL" kill -0 $S
check_true "and still answers" has_pass

# a real Prometheus server scrapes it and answers a query through its HTTP API
cat > "$TMPD/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: ksmscope
    static_configs:
      - targets: ['127.0.0.1:$PORT']
EOF
prometheus --config.file="$TMPD/prometheus.yml" --storage.tsdb.path="$TMPD/prom" \
	--web.listen-address=127.0.0.1:$PROM_PORT > "$TMPD/prom.log" 2>&1 &
CHILDREN+=($!)
P=$!
want=$(jq .totals.saveable "$TMPD/scan.json")
got=
deadline=$((SECONDS + 60))
while [ $SECONDS -le $deadline ]; do
	got=$(curl -s --max-time 2 "http://127.0.0.1:$PROM_PORT/api/v1/query" \
		--data-urlencode 'query=ksmscope_saveable_pages{group="all",kind="total"}' |
		jq -r '.data.result[0].value[1] // empty' 2>/dev/null)
	[ -n "$got" ] && break
	sleep 0.5
done
check "Prometheus: query for ksmscope_saveable_pages answers scan's saveable" "$got" "$want"
check "Prometheus: the target is up" "$(curl -s "http://127.0.0.1:$PROM_PORT/api/v1/query" \
	--data-urlencode 'query=up{job="ksmscope"}' | jq -r '.data.result[0].value[1]')" 1
# the Grafana dashboard: every metric it names is served, every query is valid PromQL with data
DASH="$(dirname "$0")/../../grafana/ksmscope.json"
for m in $(grep -o 'ksmscope_[a-z_]*' "$DASH" | sed 's/_bucket$//' | sort -u); do
	check_true "dashboard metric $m is served" grep -q "^# TYPE $m " "$TMPD/m1.txt"
done
sleep 2 # a few scrapes for rate()
jq -r '.panels[].targets[].expr' "$DASH" | sed 's/\$group/.*/g' | while read -r q; do
	r=$(curl -s --max-time 5 "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$q")
	if [ "$(echo "$r" | jq -r .status)" = success ]; then echo ok; else echo "bad: $q: $r"; fi
done > "$TMPD/dash.out"
check "dashboard: every panel query runs in Prometheus" "$(grep -vc '^ok$' "$TMPD/dash.out")" 0
kill $P; wait $P 2>/dev/null

kill -INT $S
wait $S
check "serve: exit status after SIGINT" "$?" 0
check_true "serve: the port is free again" bash -c "! exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null

# bad input
out=$("$KSMSCOPE" serve --listen nowhere 2>&1); rc=$?
check "serve --listen nowhere: exit status" "$rc" 1
check_true "serve --listen nowhere: one line naming the flag ($out)" test "$(echo "$out" | wc -l)" = 1 -a -n "$(echo "$out" | grep -- --listen)"
# another listener holds the port (SO_REUSEADDR: our own connections' TIME_WAIT must not stop it)
python3 -c "
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $PORT)); s.listen()
open(sys.argv[1], 'w').close()
time.sleep(60)" "$TMPD/bound" &
CHILDREN+=($!)
B=$!
deadline=$((SECONDS + 10))
until [ -e "$TMPD/bound" ] || [ $SECONDS -gt $deadline ]; do sleep 0.05; done
out=$(timeout 20 "$KSMSCOPE" serve --pid $W --listen 127.0.0.1:$PORT 2>&1); rc=$?
check "serve on a port in use: exit status" "$rc" 1
check_true "serve on a port in use: says so ($out)" grep -q "cannot listen on 127.0.0.1:$PORT: Address already in use" <<< "$out"
kill $B
