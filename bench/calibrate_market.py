#!/usr/bin/env python3
"""calibrate_market.py — measure the figures the synthetic market is calibrated on.

Reads a recorded Binance combined-stream file ("<ns> <JSON>" per line, gzip
or plain; default: ../shared/data/binance/btcusdt_20240808.gz) and prints the
bookTicker and trade rates, the spread distribution, the trade size
distribution, 1-second mid volatility and top-of-book sizes. The numbers
are copied into the comment at the top of sim/mkt_synth.c.

usage: bench/calibrate_market.py [file]
"""
import gzip
import json
import math
import os
import statistics
import sys


def quantiles(xs, qs):
    s = sorted(xs)
    return [s[min(len(s) - 1, int(q * len(s)))] for q in qs]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        here, "..", "..", "shared", "data", "binance", "btcusdt_20240808.gz")
    if not os.path.exists(path):
        print(f"{path}: not found; nothing to measure")
        return 0
    opener = gzip.open if path.endswith(".gz") else open
    tick = 0.1
    nbt = ntr = ndp = 0
    spreads, sizes, topq, mids, levels = [], [], [], [], []
    buyer_maker = 0
    jumps, trade_times = [], set()
    mid_changes = 0
    last_mid = None
    t0 = t1 = None
    with opener(path, "rt") as f:
        for line in f:
            ts, _, js = line.partition(" ")
            d = json.loads(js).get("data")
            if d is None:        # a REST depth snapshot line
                continue
            t = int(d.get("E", 0))
            t0 = t if t0 is None else min(t0, t)
            t1 = t if t1 is None else max(t1, t)
            e = d.get("e")
            if e == "bookTicker":
                nbt += 1
                b, a = float(d["b"]), float(d["a"])
                spreads.append(round((a - b) / tick))
                topq.append(float(d["B"]))
                topq.append(float(d["A"]))
                m = (a + b) / 2
                if last_mid is not None and m != last_mid:
                    mid_changes += 1
                    jumps.append(abs(round((m - last_mid) / tick * 2)) / 2)
                last_mid = m
                mids.append((t, m))
            elif e == "trade":
                ntr += 1
                sizes.append(float(d["q"]))
                trade_times.add(d["T"])
                buyer_maker += bool(d["m"])
            elif e == "depthUpdate":
                ndp += 1
                levels.append(len(d["b"]) + len(d["a"]))
    dur = (t1 - t0) / 1000.0
    print(f"file {path}: {dur:.1f} s")
    print(f"bookTicker {nbt} = {nbt / dur:.1f}/s; mid changes {mid_changes / dur:.2f}/s")
    print(f"trades {ntr} = {ntr / dur:.1f}/s; buyer-maker {buyer_maker / max(ntr, 1):.3f}")
    print(f"depth diffs {ndp} = {ndp / dur:.1f}/s, levels/diff median {statistics.median(levels):.0f}")
    qs = [0.1, 0.25, 0.5, 0.75, 0.9, 0.99]
    print("mid change ticks q10..q99", quantiles(jumps, qs),
          f"mean {statistics.mean(jumps):.2f}")
    print(f"trade bursts (distinct T) {len(trade_times) / dur:.1f}/s,"
          f" {ntr / len(trade_times):.2f} trades each")
    print("spread ticks q10..q99", quantiles(spreads, qs),
          f"share 1 tick {spreads.count(1) / len(spreads):.3f}")
    print("trade qty q10..q99", quantiles(sizes, qs),
          f"mean {statistics.mean(sizes):.4f}")
    lq = [math.log(x) for x in sizes if x > 0]
    print(f"trade qty lognormal mu {statistics.mean(lq):.3f} sigma {statistics.pstdev(lq):.3f}")
    print("top qty q10..q99", quantiles(topq, qs), f"median {statistics.median(topq)}")
    # 1-second mid returns (mid at each whole second, last value before it)
    per_s, k = [], 0
    sec = mids[0][0] // 1000 + 1
    last = mids[0][1]
    while k < len(mids):
        while k < len(mids) and mids[k][0] < sec * 1000:
            last = mids[k][1]
            k += 1
        per_s.append(last)
        sec += 1
    r1 = [math.log(per_s[i + 1] / per_s[i]) * 1e4 for i in range(len(per_s) - 1)]
    print(f"1-s mid return sigma {statistics.pstdev(r1):.3f} bp over {len(r1)} s;"
          f" mid start {mids[0][1]:.1f}")
    r5 = [abs(math.log(per_s[i + 5] / per_s[i])) * 100 for i in range(len(per_s) - 5)]
    print(f"max |5-s move| {max(r5):.3f} %")
    r60 = [abs(math.log(per_s[i + 60] / per_s[i])) * 1e4 for i in range(len(per_s) - 60)]
    print(f"median |60-s move| {statistics.median(r60):.2f} bp")
    return 0


if __name__ == "__main__":
    sys.exit(main())
