#!/usr/bin/env bash
# report.sh — `pmmctl report`: a tree trades against pmm-exchange (a pinned
# book moved through its ladder: fills on both sides) and is paused with a
# reason holding markup; on the stopped tree `pmmctl report` writes PNG
# charts and a page. The PNGs are real PNGs of the size asked for; the page,
# rendered by headless Chromium, shows the history figures the exchange's
# signed userTrades agree with, and every image loaded. A backtest's output
# folder gives a page that agrees with its summary.json. A torn and a foreign
# line are counted on the page, an empty window says so without charts, and
# an --out that cannot be written is an error that leaves nothing behind.
. "$(dirname "$0")/../faults/lib.sh"

command -v gnuplot >/dev/null || fail "no gnuplot: pmmctl report needs it (deploy/install-deps.sh run)"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || { echo "skipped: no chromium to render the page (deploy/install-deps.sh test installs it)"; exit 0; }

fault_tree
filled() { cat "$T"/logs/metrics-*.csv | grep -q ",fill,[^,]*,[^,]*,BTCUSDT,$1,"; }
pin_book
move_book -200
wait_for "our bids filled" 30 filled BUY
wait_for "a ladder around the new book" 30 settled
move_book 400
wait_for "our asks filled" 30 filled SELL
wait_for "a ladder around the new book" 30 settled
ctl pause 'lunch <b>&</b>' >/dev/null
psamples() { [ "$(cat "$T"/logs/metrics-*.csv | grep -c ',strategy_paused,1,bool,BTCUSDT,,,operator,')" -ge 2 ]; }
wait_for "two paused samples in the CSV" 15 psamples
ctl resume >/dev/null

# every fill of the exchange's account is in the CSV, then stop the tree
trades() { exch_signed GET /fapi/v1/userTrades "symbol=BTCUSDT&limit=1000"; }
in_csv() { [ "$(cat "$T"/logs/metrics-*.csv | grep -c ',fill,')" -eq "$(trades | jq length)" ]; }
wait_for "every fill in the CSV" 30 in_csv
kill -TERM "$PMMD_PID"; wait "$PMMD_PID" || fail "pmmd's stop exited $?"; PMMD_PID=""
tr=$(trades)
nb=$(echo "$tr" | jq '[.[] | select(.side == "BUY")] | length')
ns=$(echo "$tr" | jq '[.[] | select(.side == "SELL")] | length')
[ "$nb" -gt 0 ] && [ "$ns" -gt 0 ] || fail "fills on one side only: $nb buys, $ns sells"

# ---- the report of the whole run, from the config -------------------------
out=$("$PMMCTL" -c "$T/config.yaml" -e "$T/.env" report --since 1h --out "$T/rep") ||
	fail "pmmctl report failed: $out"
echo "$out"
echo "$out" | grep -qx "report: $T/rep/index.html" || fail "where is the report? $out"
for png in mid position pnl; do
	f="$T/rep/$png.png"
	[ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$png.png: no PNG header"
	file "$f" | grep -q "PNG image data, 1100 x 440," || fail "$png.png: $(file "$f")"
	sz=$(stat -c %s "$f")
	[ "$sz" -gt 8000 ] && [ "$sz" -lt 2000000 ] || fail "$png.png: $sz bytes"
done
pass "three PNGs of 1100 x 440: $(stat -c '%n %s' "$T"/rep/*.png | sed "s|$T/rep/||" | tr '\n' ' ')"
grep -qE '(src|href)="(https?:)?//' "$T/rep/index.html" && fail "the page loads something from outside"
grep -q '<link' "$T/rep/index.html" && fail "the page links a stylesheet"

# render it: the DOM after load (the page's script marks the images)
render() {
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--user-data-dir="$T/chromium" --virtual-time-budget=10000 "$@" 2>>"$T/chromium.log"
}
render --dump-dom "file://$T/rep/index.html" > "$T/dom.html" || fail "chromium --dump-dom failed: $(tail -3 "$T/chromium.log")"
render --window-size=1200,2600 --screenshot="$T/shot.png" "file://$T/rep/index.html" >/dev/null ||
	fail "chromium --screenshot failed"
file "$T/shot.png" | grep -q "PNG image data, 1200 x 2600" || fail "screenshot: $(file "$T/shot.png")"

# dom ID: the element's data-v (a history figure), or its text
dom() {
	python3 - "$T/dom.html" "$1" <<'EOF'
import html.parser, sys
want = sys.argv[2]
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.val = None; self.depth = 0; self.text = []; self.body = {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body": self.body = a
        if self.depth: self.depth += 1
        elif a.get("id") == want:
            self.val = a.get("data-v"); self.depth = 1
    def handle_endtag(self, tag):
        if self.depth: self.depth -= 1
    def handle_data(self, d):
        if self.depth: self.text.append(d)
p = P(); p.feed(open(sys.argv[1]).read())
if want.startswith("body:"): print(p.body.get(want[5:], ""))
elif p.val is not None: print(p.val)
else: print("".join(p.text))
EOF
}
# dom_has ID [GREP-OPTION] PATTERN (the text first: grep -q would cut the
# pipe short under pipefail)
dom_has() { local v; v=$(dom "$1"); shift; grep -q "$@" <<<"$v"; }
[ "$(dom body:data-images)" = loaded ] || fail "images: $(dom body:data-images) ($(dom body:data-image-count))"
[ "$(dom body:data-image-count)" = 3 ] || fail "$(dom body:data-image-count) images"
pass "chromium: the page rendered, its 3 images loaded"

agree() {
	jq -en --argjson t "$tr" \
	    --argjson trades "$(dom h-trades)" --argjson buys "$(dom h-buys)" \
	    --argjson sells "$(dom h-sells)" --argjson maker "$(dom h-maker)" \
	    --argjson bq "$(dom h-buy_qty)" --argjson sq "$(dom h-sell_qty)" \
	    --argjson vol "$(dom h-volume_quote)" --argjson fees "$(dom h-fees)" \
	    --argjson real "$(dom h-realized_pnl)" --argjson restarts "$(dom h-restarts)" \
	    --argjson pauses "$(dom h-pauses)" '
	    def near(a; b): ((a - b) | fabs) < 1e-6 * (1 + (b | fabs));
	    $trades == ($t | length) and
	    $buys == ([$t[] | select(.side == "BUY")] | length) and
	    $sells == ([$t[] | select(.side == "SELL")] | length) and
	    $maker == ([$t[] | select(.maker)] | length) and
	    near($bq; [$t[] | select(.side == "BUY") | .qty | tonumber] | add) and
	    near($sq; [$t[] | select(.side == "SELL") | .qty | tonumber] | add) and
	    near($vol; [$t[] | .quoteQty | tonumber] | add) and
	    near($fees; [$t[] | .commission | tonumber] | add) and
	    near($real; [$t[] | .realizedPnl | tonumber] | add) and
	    $restarts == 0 and $pauses >= 1'
}
agree >/dev/null || fail "the page disagrees with the exchange: trades $(dom h-trades) buys $(dom h-buys) sells $(dom h-sells) fees $(dom h-fees) realized $(dom h-realized_pnl); exchange: $(echo "$tr" | jq -c '{n: length, fees: ([.[].commission | tonumber] | add), realized: ([.[].realizedPnl | tonumber] | add)}')"
# the figures as printed agree with pmmctl history's text
h=$("$PMMCTL" -c "$T/config.yaml" -e "$T/.env" history --since 1h --json)
jq -en --argjson p "$(dom h-net_pnl)" --argjson h "$h" '(($p - $h.net_pnl) | fabs) < 1e-9 * (1 + ($h.net_pnl | fabs))' >/dev/null ||
	fail "net PnL: page $(dom h-net_pnl), history $(echo "$h" | jq .net_pnl)"
dom_has history "Fees$(printf '%.4f' "$(echo "$h" | jq .fees)") USDT" ||
	fail "fees as printed: $(dom history)"
[ "$(dom records | grep -o '[0-9]* skipped')" = "0 skipped" ] || fail "records: $(dom records)"
dom_has pauses -F 'operator: lunch <b>&</b>' || fail "pause reason: $(dom pauses)"
grep -q '<b>&</b>' "$T/dom.html" && fail "the operator's text became markup"
dom_has first -E '^2[0-9]{3}-[0-9]{2}-[0-9]{2} [0-9:]{8} UTC[+-][0-9]{2}:[0-9]{2}$' || fail "range: $(dom first)"
dom_has generated UTC || fail "generated-at: $(dom generated)"
pass "the rendered page = exchange: $((nb + ns)) trades ($nb buy, $ns sell), fees $(dom h-fees), realized $(dom h-realized_pnl), net $(dom h-net_pnl)"

# ---- a backtest-like folder: --dir, a torn and a foreign line -------------
mkdir "$T/csv2"
cp "$T"/logs/metrics-*.csv "$T/csv2/"
f2=$(ls "$T"/csv2/metrics-*.csv | tail -1)
printf 'this is no row of ours\n' >> "$f2"
printf '2026-12-06T08:00:00.000+00:00,x,sim,mid_pr' >> "$f2"	# torn: no line end
"$PMMCTL" report --dir "$T/csv2" --out "$T/rep2" >/dev/null || fail "report --dir"
render --dump-dom "file://$T/rep2/index.html" > "$T/dom.html"
[ "$(dom body:data-images)" = loaded ] || fail "rep2 images: $(dom body:data-images)"
dom_has records "2 skipped (torn or foreign lines)" || fail "skipped lines: $(dom records)"
[ "$(dom h-trades)" = "$((nb + ns))" ] || fail "rep2 trades $(dom h-trades)"
pass "--dir: 2 bad lines counted on the page ($(dom records)), trades still $((nb + ns))"

# ---- a backtest's output folder gives the same report ----------------------
BT="$PMM_BIN/bin/pmm-backtest"
if [ -x "$BT" ]; then
	"$BT" --synthetic 600 --seed 7 -c "$PMM_SRC/config/config.yaml" --quiet --out "$T/bt" >/dev/null ||
		fail "pmm-backtest"
	"$PMMCTL" report --dir "$T/bt" --out "$T/btrep" >/dev/null || fail "report of a backtest"
	render --dump-dom "file://$T/btrep/index.html" > "$T/dom.html"
	[ "$(dom body:data-images)" = loaded ] || fail "backtest report images: $(dom body:data-images)"
	jq -en --slurpfile s "$T/bt/summary.json" --argjson n "$(dom h-trades)" \
	    --argjson mk "$(dom h-maker)" --argjson vol "$(dom h-volume_quote)" \
	    --argjson fees "$(dom h-fees)" '
	    def near(a; b): ((a - b) | fabs) < 1e-6 * (1 + (b | fabs));
	    $s[0] as $x | $n == $x.fills and $n > 0 and $mk == $x.maker_fills and
	    near($vol; $x.volume_quote) and near($fees; -$x.fees_pnl)' >/dev/null ||
		fail "the backtest's page disagrees with its summary.json: trades $(dom h-trades), fees $(dom h-fees); $(jq -c '{fills, maker_fills, volume_quote, fees_pnl}' "$T/bt/summary.json")"
	pass "a backtest's folder: the page's $(dom h-trades) trades, volume and fees = its summary.json"
else
	echo "(no pmm-backtest in $PMM_BIN/bin: the backtest part is not run)"
fi

# ---- an empty window: said, no charts; the old report replaced whole ------
"$PMMCTL" report --dir "$T/csv2" --since 2099-01-01 --out "$T/rep2" | grep -q "no row in the window" ||
	fail "empty window: not said"
render --dump-dom "file://$T/rep2/index.html" > "$T/dom.html"
dom_has empty "No row in this window" || fail "empty: $(dom empty)"
[ "$(dom body:data-images)" = none ] || fail "empty window shows images"
ls "$T"/rep2/*.png 2>/dev/null && fail "PNGs of the old report left in the empty one"
pass "empty window: the page says so, no chart"

# ---- --out that cannot be written: an error, nothing half-written ---------
if err=$("$PMMCTL" report --dir "$T/csv2" --out "$T/config.yaml/sub" 2>&1); then
	fail "report into a path under a file succeeded"
fi
echo "$err" | grep -q "pmmctl: report: .*config.yaml/sub: Not a directory" || fail "error: $err"
mkdir "$T/notmine"; touch "$T/notmine/keep"
err=$("$PMMCTL" report --dir "$T/csv2" --out "$T/notmine" 2>&1) && fail "replaced a directory that is no report"
echo "$err" | grep -q "no pmm report" || fail "error: $err"
[ -f "$T/notmine/keep" ] || fail "notmine touched"
[ "$(ls -A "$T" | grep -c '\.tmp-')" = 0 ] || fail "a temporary directory left: $(ls -A "$T")"
pass "unwritable --out: '$(echo "$err" | head -1)', nothing left behind"
