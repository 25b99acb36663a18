#!/usr/bin/env python3
"""Scrape a /metrics URL N times over one keep-alive connection (as Prometheus does) and report latency.

    scrape_latency.py URL COUNT [--gzip]

Prints one line: `min=… median=… p99=… max=… ms bytes=… status=…` (the time from sending the request to
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
    connection = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=30)
    times, size, bad = [], 0, 0
    for _ in range(count):
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
          f"bytes={size} non200={bad}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
