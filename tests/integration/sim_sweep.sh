#!/usr/bin/env bash
# sim_sweep.sh — every endpoint a real pmm-exchange serves, over HTTP on
# loopback, from the list the program prints itself (--list-endpoints,
# taken from its routing tables: a new endpoint is swept without editing
# this file). Each one is called with its valid sample parameters, with
# none, and with each value broken (empty, bad and huge numbers, unknown
# symbol, invalid UTF-8, very long), in the query and in a form body;
# WebSocket paths are upgraded. After every request the process must
# still be alive, and every error must be JSON of the right shape:
# Binance's {code, msg} with the HTTP status Binance uses for that code,
# or the admin API's {ok:false, error}. check_sim_sweep does the same
# in-process with more values; this one proves it over the real server.
#
# The requests go from one python3 process on one keep-alive connection:
# a curl and an openssl per request took minutes on a loaded machine.
. "$(dirname "$0")/sim_lib.inc"

"$EXCH" --list-endpoints >"$TMP/endpoints" || { bad "--list-endpoints"; finish; }
n=$(grep -vc '^#' "$TMP/endpoints")
check "--list-endpoints lists REST, admin and WebSocket endpoints ($n)" \
    [ "$n" -ge 50 -a "$(grep -v '^#' "$TMP/endpoints" | cut -f1 | sort -u | tr '\n' ' ')" = "admin rest ws " ]

start_exchange --manual

python3 - "$PORT" "$EXCH_PID" "$KEY" "$SECRET" "$TMP/endpoints" <<'EOF' >"$TMP/sweep.out"
import hashlib, hmac, http.client, json, os, sys, time

port, pid, key, secret, listing = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
conn = None

def alive():
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False

def request(method, target, body=None, headers=None):
    """One request; (status, text), or (None, why) when the connection broke."""
    global conn
    for attempt in (0, 1):
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            h = dict(headers or {})
            if body is not None:
                h["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, target, body=body, headers=h)
            r = conn.getresponse()
            return r.status, r.read().decode("utf-8", "replace")
        except (http.client.HTTPException, OSError) as e:
            conn.close()
            conn = None
            why = repr(e)
    return None, why

def sign(q):
    q = (q + "&" if q else "") + "timestamp=%d" % int(time.time() * 1000)
    return q + "&signature=" + hmac.new(secret.encode(), q.encode(), hashlib.sha256).hexdigest()

def reset():
    for p in ("/sim/fault/clear", "/sim/resume", "/sim/ratelimit/reset",
              "/sim/book?symbol=BTCUSDT&bid=60000&ask=60001&qty=1"):
        request("POST", p)

def shape(kind, status, text):
    """None when the answer has the right form, else what is wrong."""
    try:
        j = json.loads(text)
    except ValueError:
        return "not JSON: %r" % text[:200]
    if status == 200:
        return None
    if not 400 <= status < 500:
        return "HTTP %d %s" % (status, text[:200])
    if kind == "admin":
        ok = isinstance(j, dict) and j.get("ok") is False and isinstance(j.get("error"), str)
        return None if ok else "admin error shape: %s" % text[:200]
    if not (isinstance(j, dict) and set(j) == {"code", "msg"} and isinstance(j["code"], int)
            and j["code"] < 0 and isinstance(j["msg"], str)):
        return "not {code,msg}: HTTP %d %s" % (status, text[:200])
    c = j["code"]
    if c in (-2014, -2015):
        good = status == 401
    elif c == -1003:
        good = status in (429, 418)
    elif status in (404, 405, 413):
        good = c == -1000
    else:
        good = status == 400
    return None if good else "HTTP %d for code %d" % (status, c)

LONG = "A" * 6000
BAD = ["", "-1", "1e309", "99999999999999999999999999", "9223372036854775808", "NOPEUSDT",
       "%FF%FE%FD", "%C3%28", "%00", "%5B%7B%7D%5D", "[1,2", LONG]

def replaced(sample, k, v):
    pairs = sample.split("&")
    pairs[k] = pairs[k].split("=", 1)[0] + "=" + v
    return "&".join(pairs)

def call(kind, method, path, auth, q, in_body=False):
    hdr = {"X-MBX-APIKEY": key} if auth != "none" else {}
    if auth == "signed":
        q = sign(q)
    if in_body and method != "GET":
        return request(method, path, body=q, headers=hdr)
    return request(method, path + ("?" + q if q else ""), headers=hdr)

def upgrade(path, q):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.request("GET", path + ("?" + q if q else ""), headers={
            "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
        return c.getresponse().status
    except (http.client.HTTPException, OSError):
        return None
    finally:
        c.close()

def result(ok, what):
    print(("ok   - " if ok else "FAIL - ") + what, flush=True)

reset()
dead = False
for line in open(listing):
    if line.startswith("#") or not line.strip():
        continue
    kind, method, path, auth, sample = line.rstrip("\n").split("\t")
    sample = "" if sample == "-" else sample
    if kind == "ws":
        st = upgrade(path, sample)
        result(st == 101, "WS %s?%s upgrades (got %s)" % (path, sample, st))
        for q in ("", "streams=" + LONG, "streams=%FF%FE", "listenKey=" + LONG + "&events=%00"):
            upgrade(path, q)
            if not alive():
                result(False, "pmm-exchange died on WS %s?%s" % (path, q[:80]))
                dead = True
                break
        if dead:
            break
        continue
    st, text = call(kind, method, path, auth, sample)
    if path == "/fapi/v1/order" and method != "POST":
        why = shape(kind, st, text) if st else text
        result(why is None, "%s %s with its sample answers%s" % (method, path, ": " + why if why else ""))
    else:
        result(st == 200, "%s %s?%s is 200 (got %s %s)" % (method, path, sample[:50], st, text[:120]))
    reset()
    variants = ["", "junk", "%FF%FE=%C3%28", "symbol=" + LONG]
    if sample:
        for k in range(len(sample.split("&"))):
            variants += [replaced(sample, k, v) for v in BAD]
    wrong = []
    for q in variants:
        for in_body in ((False, True) if method != "GET" else (False,)):
            st, text = call(kind, method, path, auth, q, in_body)
            if not alive():
                result(False, "pmm-exchange died on %s %s %s%s" % (method, path,
                       "body " if in_body else "?", q[:80]))
                dead = True
                break
            if st is None and "%00" in q and not in_body:
                # libwebsockets refuses a %00 in the URI before the sim
                # sees the request and closes the connection: no answer
                # is the transport's, the process lives on (checked above)
                continue
            why = shape(kind, st, text) if st else "no answer: " + text
            if why:
                wrong.append("%s -> %s" % (q[:40], why))
            if kind == "admin":
                reset()
        if dead:
            break
    if dead:
        break
    reset()
    result(not wrong, "%s %s: alive after %d malformed calls, every error well-formed%s" %
           (method, path, len(variants), "".join("\n     " + w for w in wrong[:5])))
    if auth != "none":
        st, text = request(method, path)
        result(st == 401 and shape(kind, st, text) is None and '"code":-2014' in text,
               "%s %s without an API key is 401 -2014 (got %s %s)" % (method, path, st, text[:80]))
print("DEAD" if dead else "ALIVE")
EOF
while read -r line; do
	case "$line" in
	"ok   - "*) ok "${line#ok   - }" ;;
	"FAIL - "*) bad "${line#FAIL - }" ;;
	ALIVE|DEAD) ;;
	*) echo "$line" ;;
	esac
done <"$TMP/sweep.out"
check "the sweep ran to its end" grep -qx ALIVE "$TMP/sweep.out"

if kill -0 "$EXCH_PID" 2>/dev/null; then
	req GET /fapi/v1/premiumIndex "symbol=BTCUSDT"
	check "premiumIndex with a symbol answers after the sweep" \
	    [ "$STATUS" = 200 -a "$(jqb .symbol)" = BTCUSDT ]
	stop_exchange
	check "clean exit after the sweep (status $EXCH_STATUS)" [ "$EXCH_STATUS" = 0 ]
else
	bad "pmm-exchange is dead; the last lines of its stderr:"
	tail -5 "$TMP/exch.err"
fi
finish
