#!/usr/bin/env python3
"""Runs the benchmark queries over HTTP (one keep-alive connection) and prints the same statistics as
`diarium-bench query`: per-query medians over PASSES timed passes (after one warm-up), then median/p90/p99/max."""
import http.client, json, sys, time, urllib.parse

def percentile(values, p):
    if not values: return 0.0
    k = (len(values) - 1) * p / 100
    f = int(k); c = min(f + 1, len(values) - 1)
    return values[f] + (values[c] - values[f]) * (k - f)

def stats(values):
    v = sorted(values)
    return "n=%d median=%.2f p90=%.2f p99=%.2f max=%.2f ms" % (len(v), percentile(v, 50), percentile(v, 90), percentile(v, 99), v[-1])

port, token, queries_file, passes = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
sets = json.load(open(queries_file))
conn = http.client.HTTPConnection("127.0.0.1", port)
def run(q):
    path = "/api/v1/search?" + urllib.parse.urlencode({"q": q, "limit": "20", "facets": "false"})
    t0 = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": "Bearer " + token})
    response = conn.getresponse(); body = response.read()
    ms = (time.perf_counter() - t0) * 1000
    if response.status != 200: sys.exit("HTTP %d for %s: %s" % (response.status, q, body[:200]))
    return ms
all_medians = []
for name in ["single", "two", "phrase", "prefix"]:
    medians = []
    for q in sets[name]:
        times = [run(q) for _ in range(passes + 1)][1:]
        medians.append(sorted(times)[len(times) // 2])
    all_medians += medians
    print("%-7s %s" % (name, stats(medians)))
print("ALL100  %s" % stats(all_medians))
