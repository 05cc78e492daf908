#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# ksmscope serve --web-config: TLS and basic authentication as Prometheus exporters
# configure them. curl with the right CA and credentials gets the metrics; without
# credentials, with a wrong password or an unknown user, 401; with a wrong CA the
# handshake fails; plain HTTP to the TLS port fails cleanly and the server goes on; a
# client certificate is required when the file says so. A real Prometheus server scrapes
# it over TLS with basic auth (up = 1, a metric equal to scan's), and a job with a wrong
# CA is down. Bad files: one line, exit 1.
. "$(dirname "$0")/lib.sh"
ksm_save
echo 0 > "$KSM/run"

PORT=19573
PORT2=19574
PROM_PORT=19591
URL=https://127.0.0.1:$PORT
C=$TMPD/certs
mkdir "$C"

# a CA, a server certificate for 127.0.0.1 signed by it, a client certificate, and another CA
ssl() { openssl "$@" > /dev/null 2>&1 || fail "openssl $1"; }
ssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=ksmscope-test-ca \
	-keyout "$C/ca.key" -out "$C/ca.crt"
ssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=ksmscope-other-ca \
	-keyout "$C/other.key" -out "$C/other.crt"
ssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
	-keyout "$C/server.key" -out "$C/server.csr"
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$C/server.ext"
ssl x509 -req -in "$C/server.csr" -CA "$C/ca.crt" -CAkey "$C/ca.key" -CAcreateserial -days 2 \
	-extfile "$C/server.ext" -out "$C/server.crt"
ssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=prometheus \
	-keyout "$C/client.key" -out "$C/client.csr"
printf 'extendedKeyUsage=clientAuth\n' > "$C/client.ext"
ssl x509 -req -in "$C/client.csr" -CA "$C/ca.crt" -CAkey "$C/ca.key" -CAcreateserial -days 2 \
	-extfile "$C/client.ext" -out "$C/client.crt"
PASS=s3cret-$$
HASH=$(python3 -W ignore -c 'import crypt, sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 8)))' "$PASS")

# relative paths: from the file's directory, as exporters take them
cat > "$C/web.yml" << YML
# ksmscope serve --web-config
tls_server_config:
  cert_file: server.crt
  key_file: server.key
basic_auth_users:
  prom: '$HASH'
YML

start_workload s --contents 16 --copies 3 --zero 8 --unmergeable 6 --write-copies 0 --pipe-copies 0 || exit 1
W=$WL_PID
"$KSMSCOPE" scan --json --pid $W > "$TMPD/scan.json" || fail "scan --json"

"$KSMSCOPE" serve --pid $W --interval 0.3 --scan-rate 1000 --listen 127.0.0.1:$PORT --web-config "$C/web.yml" \
	2> "$TMPD/serve.err" &
CHILDREN+=($!)
S=$!
get() { curl -s --max-time 5 -o "$TMPD/body" -w '%{http_code}' "$@"; }
deadline=$((SECONDS + 30))
until [ "$(get --cacert "$C/ca.crt" -u "prom:$PASS" "$URL/metrics")" = 200 ] &&
	grep -q '^ksmscope_sites_pages{group="all"}' "$TMPD/body"; do
	[ $SECONDS -gt $deadline ] && { fail "serve over TLS: no metrics after 30 s: $(cat "$TMPD/serve.err")"; exit 1; }
	sleep 0.1
done
ok "serve over TLS with basic auth: /metrics answers the right CA and credentials"
check "it says where, and how" "$(cat "$TMPD/serve.err")" \
	"Serving KSM sharing metrics at https://127.0.0.1:$PORT/metrics (basic authentication). Hit Ctrl-C to end."
check "no credentials: 401" "$(get --cacert "$C/ca.crt" "$URL/metrics")" 401
check "401 asks for basic auth" "$(curl -s --max-time 5 -o /dev/null -D - --cacert "$C/ca.crt" "$URL/metrics" |
	grep -ci '^www-authenticate: basic realm="ksmscope"')" 1
check "a wrong password: 401" "$(get --cacert "$C/ca.crt" -u "prom:wrong" "$URL/metrics")" 401
check "an unknown user: 401" "$(get --cacert "$C/ca.crt" -u "root:$PASS" "$URL/")" 401
check "the index needs credentials too" "$(get --cacert "$C/ca.crt" -u "prom:$PASS" "$URL/")" 200
curl -s --max-time 5 --cacert "$C/other.crt" -u "prom:$PASS" "$URL/metrics" > /dev/null
check "a wrong CA: the handshake fails (curl 60)" "$?" 60
curl -s --max-time 5 -u "prom:$PASS" "http://127.0.0.1:$PORT/metrics" > "$TMPD/plain.out" 2>&1
rc=$?
check_true "plain HTTP to the TLS port fails ($rc)" test $rc -ne 0
check "and gets no metrics" "$(grep -c ksmscope_ "$TMPD/plain.out")" 0
check "the server goes on" "$(get --cacert "$C/ca.crt" -u "prom:$PASS" "$URL/metrics")" 200

# a real Prometheus server: TLS with the CA and basic auth; a second job with the wrong CA
cat > "$TMPD/prometheus.yml" << YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: ksmscope
    scheme: https
    tls_config:
      ca_file: $C/ca.crt
    basic_auth:
      username: prom
      password: $PASS
    static_configs:
      - targets: ['127.0.0.1:$PORT']
  - job_name: wrong-ca
    scheme: https
    tls_config:
      ca_file: $C/other.crt
    basic_auth:
      username: prom
      password: $PASS
    static_configs:
      - targets: ['127.0.0.1:$PORT']
YML
prometheus --config.file="$TMPD/prometheus.yml" --storage.tsdb.path="$TMPD/prom" \
	--web.listen-address=127.0.0.1:$PROM_PORT > "$TMPD/prom.log" 2>&1 &
CHILDREN+=($!)
P=$!
query() {
	curl -s --max-time 2 "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[0].value[1] // empty' 2>/dev/null
}
want=$(jq .totals.saveable "$TMPD/scan.json")
got= wrong=
deadline=$((SECONDS + 60))
while [ $SECONDS -le $deadline ]; do
	got=$(query 'ksmscope_saveable_pages{job="ksmscope",group="all",kind="total"}')
	wrong=$(query 'up{job="wrong-ca"}')
	[ -n "$got" ] && [ -n "$wrong" ] && break
	sleep 0.5
done
check "Prometheus over TLS with basic auth: ksmscope_saveable_pages is scan's saveable" "$got" "$want"
check "Prometheus: the target is up" "$(query 'up{job="ksmscope"}')" 1
check "Prometheus with a wrong CA: the target is down" "$wrong" 0
kill $P; wait $P 2>/dev/null

# client certificates, required and verified
cat > "$C/mtls.yml" << YML
tls_server_config:
  cert_file: $C/server.crt
  key_file: $C/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: $C/ca.crt
  min_version: TLS13
YML
"$KSMSCOPE" serve --pid $W --interval 0.3 --listen 127.0.0.1:$PORT2 --web-config "$C/mtls.yml" 2> "$TMPD/mtls.err" &
CHILDREN+=($!)
M=$!
deadline=$((SECONDS + 30))
until [ "$(get --cacert "$C/ca.crt" --cert "$C/client.crt" --key "$C/client.key" "https://127.0.0.1:$PORT2/")" = 200 ]; do
	[ $SECONDS -gt $deadline ] && { fail "serve with client certificates: no answer: $(cat "$TMPD/mtls.err")"; break; }
	sleep 0.1
done
check "client certificate from the CA: 200" \
	"$(get --cacert "$C/ca.crt" --cert "$C/client.crt" --key "$C/client.key" "https://127.0.0.1:$PORT2/metrics")" 200
check "no client certificate: 403" "$(get --cacert "$C/ca.crt" "https://127.0.0.1:$PORT2/metrics")" 403
check "the CA's server certificate as a client's (no clientAuth purpose): refused" \
	"$(get --cacert "$C/ca.crt" --cert "$C/server.crt" --key "$C/server.key" "https://127.0.0.1:$PORT2/metrics")" 403
check "a client certificate from another CA: refused" \
	"$(get --cacert "$C/ca.crt" --cert "$C/other.crt" --key "$C/other.key" "https://127.0.0.1:$PORT2/metrics")" 403
curl -s --max-time 5 --tls-max 1.2 --cacert "$C/ca.crt" --cert "$C/client.crt" --key "$C/client.key" \
	"https://127.0.0.1:$PORT2/" > /dev/null
check_true "min_version TLS13: a TLS 1.2 client is refused" test $? -ne 0
kill -INT $M $S
wait $S
check "serve over TLS: exit status after SIGINT" "$?" 0

# bad files: one line each, exit 1
bad() { # NAME PATTERN FILE-CONTENT
	printf '%s\n' "$3" > "$C/bad.yml"
	expect_error "$1" "$2" "$KSMSCOPE" serve --pid $W --listen 127.0.0.1:$PORT --web-config "$C/bad.yml"
}
bad "an unknown key" "bad.yml: line 1: unknown key 'tls_config'" "tls_config:"
bad "a missing key file" "tls_server_config needs cert_file and key_file" "$(printf 'tls_server_config:\n  cert_file: server.crt')"
bad "a file that is not there" "key_file $C/nowhere.key: No such file" \
	"$(printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: nowhere.key')"
bad "a password where the hash goes" "user 'prom': not a bcrypt hash" "$(printf 'basic_auth_users:\n  prom: %s' "$PASS")"
bad "a key that is no PEM" "not a PEM file" "$(printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: web.yml')"
bad "a key that is not the certificate's" "the HTTPS server did not start" \
	"$(printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: client.key')"
expect_error "no such web config" "--web-config $C/none.yml: No such file" \
	"$KSMSCOPE" serve --pid $W --web-config "$C/none.yml"
