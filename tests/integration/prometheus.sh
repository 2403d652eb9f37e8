#!/usr/bin/env bash
# prometheus.sh — the metrics endpoint scraped by a real Prometheus
# (Debian's package) started on loopback with the shipped scrape config
# (deploy/prometheus.yml, only its target's port changed), while a tree
# trades against pmm-exchange: fills on both sides (pinned book moved
# through the ladder), a pause and resume, an order-service restart.
# Then: `promtool check metrics` passes on a scrape, the endpoint refuses
# what is not GET /metrics, and EVERY PromQL expression of the Grafana
# dashboard (deploy/grafana/dashboards/pmm.json) returns data through
# Prometheus' HTTP API — so no panel of the shipped dashboard is empty.
. "$(dirname "$0")/../faults/lib.sh"
command -v prometheus >/dev/null && command -v promtool >/dev/null ||
	fail "prometheus is not installed (deploy/install-deps.sh installs it)"
DASH="$PMM_SRC/deploy/grafana/dashboards/pmm.json"

fault_tree "metrics:" "  enabled: true" "  port: 0"
wait_for "metrics.addr" 30 test -s "$PMM_RUNTIME_DIR/metrics.addr"
URL=$(cat "$PMM_RUNTIME_DIR/metrics.addr")
case "$URL" in http://127.0.0.1:*/metrics) ;; *) fail "metrics.addr: $URL" ;; esac
MPORT=${URL#http://127.0.0.1:}; MPORT=${MPORT%/metrics}

# The endpoint: GET /metrics only, valid exposition text.
curl -sf "$URL" > "$T/scrape.txt" || fail "GET $URL"
promtool check metrics < "$T/scrape.txt" || fail "promtool check metrics"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/other")
[ "$code" = 404 ] || fail "GET /other: HTTP $code, want 404"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x=1 "$URL")
[ "$code" = 405 ] || fail "POST /metrics: HTTP $code, want 405"
grep -q "^pmm_tree_ready{instance=\"$INST\",symbol=\"BTCUSDT\"} 1$" "$T/scrape.txt" ||
	fail "no pmm_tree_ready 1 for $INST"
pass "GET /metrics passes promtool check metrics; other paths 404, POST 405"

# Prometheus, with the shipped config pointed at this tree's port.
PPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed "s/127\.0\.0\.1:9464/127.0.0.1:$MPORT/" "$PMM_SRC/deploy/prometheus.yml" > "$T/prometheus.yml"
grep -q "127.0.0.1:$MPORT" "$T/prometheus.yml" || fail "could not point the shipped config at $MPORT"
promtool check config "$T/prometheus.yml" >/dev/null || fail "promtool check config"
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom" \
	--web.listen-address="127.0.0.1:$PPORT" --log.level=warn >"$T/prometheus.log" 2>&1 &
PROM_PID=$!
prom_stop() { kill -TERM "$PROM_PID" 2>/dev/null || true; wait "$PROM_PID" 2>/dev/null || true; }
PROM="http://127.0.0.1:$PPORT"
wait_for "prometheus ready" 60 curl -sf "$PROM/-/ready"
up() { curl -sf "$PROM/api/v1/targets" | jq -e '.data.activeTargets[0].health == "up"'; }
wait_for "the pmm target up" 60 up || { prom_stop; exit 1; }

# Trading to look at: fills both ways, a pause, an order-service restart.
# filled SIDE: a fill row of ours on that side in the metrics CSV
filled() { cat "$T"/logs/metrics-*.csv | grep -q ",fill,[^,]*,[^,]*,BTCUSDT,$1,"; }
pin_book
move_book -200
wait_for "our bids filled" 30 filled BUY
wait_for "a ladder around the new book" 30 settled
move_book 400
wait_for "our asks filled" 30 filled SELL
ctl pause "prometheus test" >/dev/null
wait_for "paused" 10 sh -c "\"$PMMCTL\" status --json | jq -e '.strategy_paused == true'"
ctl resume >/dev/null
old=$(svc_field order pid); kill -KILL "$old"
order_back() { [ "$(svc_field order pid)" != "$old" ] && [ "$(svc_field order state)" = ready ]; }
wait_for "order restarted" 30 order_back

# q EXPR: the instant query's result array
q() { curl -sf --get "$PROM/api/v1/query" --data-urlencode "query=$1" | jq -c '.data.result'; }
scraped() { [ "$(q "count_over_time(pmm_tree_ready{instance=\"$INST\"}[5m])" | jq -r '.[0].value[1] // 0')" -ge 4 ]; }
wait_for "4 scrapes stored" 90 scraped
restarts() { [ "$(q "pmm_service_restarts_total{instance=\"$INST\",service=\"order\"}" | jq -r '.[0].value[1] // 0')" = 1 ]; }
wait_for "the order restart scraped" 30 restarts
both() { [ "$(q "sum(pmm_trades_total{instance=\"$INST\",side=\"buy\"}) > 0 and sum(pmm_trades_total{instance=\"$INST\",side=\"sell\"}) > 0" | jq length)" -ge 1 ]; }
wait_for "fills on both sides scraped" 30 both
pass "Prometheus scrapes the tree: $(q "count({instance=\"$INST\"})" | jq -r '.[0].value[1]') series"

# Every expression of the dashboard, as Grafana would send it for this
# instance ($__rate_interval: 4 x the 5 s scrape interval at least).
n=0; empty=""
while IFS= read -r expr; do
	e=${expr//\$instance/$INST}
	e=${e//\$__rate_interval/1m}
	res=$(q "$e") || fail "query failed: $e"
	n=$((n + 1))
	[ "$(echo "$res" | jq length)" -gt 0 ] || empty="$empty
  $e"
done < <(jq -r '.panels[].targets[].expr' "$DASH")
[ -z "$empty" ] || { prom_stop; fail "dashboard expressions without data:$empty"; }
[ "$n" -ge 30 ] || fail "only $n expressions in the dashboard?"
var=$(curl -sf --get "$PROM/api/v1/label/instance/values" --data-urlencode 'match[]=pmm_tree_ready' | jq -c .data)
echo "$var" | jq -e --arg i "$INST" 'index($i) != null' >/dev/null || fail "the \$instance variable would not list $INST: $var"
prom_stop
pass "all $n PromQL expressions of the dashboard return data; \$instance lists $INST"
