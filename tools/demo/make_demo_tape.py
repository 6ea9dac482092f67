#!/usr/bin/env python3
"""Writes the bundled demo session (src/Stream/samples/demo/ticks.csv) from the seeds' trades.

Deterministic: a fixed seed and explicit key-frames (time, spot, vol) per underlying, linearly
interpolated with small seeded noise; option quotes are Black-Scholes prices on a smile, quoted
on a 0.05 grid around the model price. Rerun: python3 tools/demo/make_demo_tape.py
"""
import datetime as dt
import math
import os
import random

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "src", "Stream", "samples", "demo", "ticks.csv")
R = 0.04
EXPIRY = dt.datetime(2026, 2, 20, 21, 0, tzinfo=dt.timezone.utc)  # 16:00 New York (EST)
rng = random.Random(20260129)


def N(x):
    return 0.5 * math.erfc(-x / math.sqrt(2))


def bs(right, s, k, t, v):
    sd = v * math.sqrt(t)
    d1 = (math.log(s / k) + (R + 0.5 * v * v) * t) / sd
    d2 = d1 - sd
    if right == "C":
        return s * N(d1) - k * math.exp(-R * t) * N(d2)
    return k * math.exp(-R * t) * N(-d2) - s * N(-d1)


def utc(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def interp(frames, t):
    for (t0, a0, b0), (t1, a1, b1) in zip(frames, frames[1:]):
        if t0 <= t <= t1:
            w = (t - t0).total_seconds() / max((t1 - t0).total_seconds(), 1)
            return a0 + w * (a1 - a0), b0 + w * (b1 - b0)
    return frames[-1][1], frames[-1][2]


def grid(x, step):
    return round(round(x / step) * step, 2)


def option_quote(price, step=0.05):
    mid = max(grid(price, step), step)
    half = step if price >= 3 else 0.05  # 0.10 wide: a liquid single-name or index option
    return max(round(mid - half, 2), 0.0), round(mid + half, 2)


rows = []


def session_times(day, start, end, every_s):
    t = utc(f"{day}T{start}Z")
    stop = utc(f"{day}T{end}Z")
    while t <= stop:
        yield t
        t += dt.timedelta(seconds=every_s)


def add(t, sym, bid="", ask="", last=""):
    rows.append((t, len(rows), sym, bid, ask, last))


# SPY 580/575 put credit spread, 10 lots opened 2026-01-05 for 0.73 (5.89 / 5.16): SPY climbs, vol eases,
# the spread decays through 50 %, 75 % and 90 % of max profit before 21 DTE (2026-01-30).
spy_frames = [(utc(a), s, v) for a, s, v in [
    ("2026-01-05T15:00:00Z", 603.0, 0.150), ("2026-01-08T20:30:00Z", 606.0, 0.140),
    ("2026-01-13T15:00:00Z", 604.0, 0.145), ("2026-01-16T20:00:00Z", 610.0, 0.130),
    ("2026-01-21T15:00:00Z", 613.0, 0.120), ("2026-01-26T20:00:00Z", 622.0, 0.105),
    ("2026-01-29T21:00:00Z", 626.0, 0.100)]]
day = dt.date(2026, 1, 5)
holidays = {dt.date(2026, 1, 19)}  # Martin Luther King Jr. Day
while day <= dt.date(2026, 1, 29):
    if day.weekday() < 5 and day not in holidays:
        for t in session_times(day.isoformat(), "14:30:00", "20:59:00", 1800):
            if t < spy_frames[0][0]:
                continue
            s, v = interp(spy_frames, t)
            s += rng.gauss(0, 0.25)
            add(t, "SPY", f"{s - 0.01:.2f}", f"{s + 0.01:.2f}")
            tau = (EXPIRY - t).total_seconds() / (365 * 86400)
            for k, sym in ((580, "SPY260220P00580000"), (575, "SPY260220P00575000")):
                vol = v + 0.9 * math.log(s / k)  # put skew
                b, a = option_quote(bs("P", s, k, tau, vol), 0.01)
                add(t + dt.timedelta(milliseconds=1), sym, f"{b:.2f}", f"{a:.2f}")
    day += dt.timedelta(days=1)

# 2026-01-29, the seed's day. META 720C: 6 lots at 17.15 with the stock at 720.93 (16:36:38Z).
# The stock never reaches the seed's 726.37 target; the option reaches 22.50 (+$3,210).
meta_frames = [(utc(a), s, v) for a, s, v in [
    ("2026-01-29T16:36:38Z", 720.93, 0.215), ("2026-01-29T17:20:00Z", 722.40, 0.240),
    ("2026-01-29T18:05:00Z", 724.60, 0.275), ("2026-01-29T18:40:00Z", 725.10, 0.290),
    ("2026-01-29T19:30:00Z", 723.50, 0.270), ("2026-01-29T20:59:00Z", 722.00, 0.250)]]
# QCOM 150C: 26 lots at 5.75; drifts sideways between the seed's stock levels, no price rule
# holds, and the day-trade close takes it at 15:55 New York from the clock alone.
qcom_frames = [(utc(a), s, v) for a, s, v in [
    ("2026-01-29T17:10:00Z", 151.20, 0.330), ("2026-01-29T18:30:00Z", 151.45, 0.320),
    ("2026-01-29T19:40:00Z", 150.95, 0.325), ("2026-01-29T20:40:00Z", 151.10, 0.320)]]
for t in session_times("2026-01-29", "16:36:40", "20:59:40", 20):
    tau = (EXPIRY - t).total_seconds() / (365 * 86400)
    s, v = interp(meta_frames, t)
    s = max(s + rng.gauss(0, 0.08), 720.75)
    add(t, "META", f"{s - 0.02:.2f}", f"{s + 0.02:.2f}")
    b, a = option_quote(bs("C", s, 720, tau, v))
    add(t + dt.timedelta(milliseconds=3), "META260220C00720000", f"{b:.2f}", f"{a:.2f}")
    if utc("2026-01-29T17:10:00Z") <= t <= utc("2026-01-29T20:40:00Z"):
        s, v = interp(qcom_frames, t)
        s = min(max(s + rng.gauss(0, 0.05), 150.80), 151.60)
        add(t + dt.timedelta(milliseconds=5), "QCOM", f"{s - 0.01:.2f}", f"{s + 0.01:.2f}")
        b, a = option_quote(bs("C", s, 150, tau, v))
        add(t + dt.timedelta(milliseconds=7), "QCOM260220C00150000", f"{b:.2f}", f"{a:.2f}")

# bad quotes the engine must ignore: a crossed META quote far above the target, a zero ask
add(utc("2026-01-29T17:00:00.5Z"), "META260220C00720000", "31.00", "12.00")
add(utc("2026-01-29T17:30:00.5Z"), "QCOM260220C00150000", "5.90", "0.00")

rows.sort(key=lambda r: (r[0], r[1]))
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w", newline="\n") as f:
    f.write("time,symbol,bid,ask,last\n")
    for t, _, sym, bid, ask, last in rows:
        stamp = t.strftime("%Y-%m-%dT%H:%M:%S") + (f".{t.microsecond // 1000:03d}" if t.microsecond else "") + "Z"
        f.write(f"{stamp},{sym},{bid},{ask},{last}\n")
print(f"wrote {len(rows)} rows to {os.path.normpath(OUT)}")
