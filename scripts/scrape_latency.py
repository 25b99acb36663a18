#!/usr/bin/env python3
"""Scrape a /metrics URL N times over one keep-alive connection (as Prometheus does) and report latency.

    scrape_latency.py URL COUNT [--gzip] [--min-seconds S]

Scrapes at least COUNT times and, with --min-seconds, for at least S seconds: a run that spans several poll
intervals holds the scrapes that overlap a poll in their real proportion (a burst of 300 scrapes at 1,000
tunnels lasts 0.15 s and either misses every poll or falls inside one).

Prints one line: `min=… median=… p99=… max=… ms bytes=… non200=… scrapes=…` (the time from sending the request to
having read the whole body, measured with time.perf_counter_ns). Exits 1 if any response is not 200.
"""
import http.client
import statistics
import sys
import time
import urllib.parse


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    url = urllib.parse.urlsplit(sys.argv[1])
    count = int(sys.argv[2])
    headers = {"Accept-Encoding": "gzip"} if "--gzip" in sys.argv[3:] else {}
    min_seconds = 0.0
    if "--min-seconds" in sys.argv[3:]:
        min_seconds = float(sys.argv[sys.argv.index("--min-seconds") + 1])
    connection = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=30)
    times, size, bad = [], 0, 0
    began = time.perf_counter()
    while len(times) < count or time.perf_counter() - began < min_seconds:
        start = time.perf_counter_ns()
        connection.request("GET", url.path or "/", headers=headers)
        response = connection.getresponse()
        body = response.read()
        times.append((time.perf_counter_ns() - start) / 1e6)
        size = len(body)
        if response.status != 200:
            bad += 1
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"min={times[0]:.3f} median={statistics.median(times):.3f} p99={p99:.3f} max={times[-1]:.3f} ms "
          f"bytes={size} non200={bad} scrapes={len(times)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
