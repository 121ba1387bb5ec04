"""Metrics, traces, logs and per-request upstream statistics.

`hooks` is the seam every layer calls (providers at the wire, loaders at the cache, the rate
limiter, breakers); the other modules are the sinks behind it and the HTTP glue.
"""
