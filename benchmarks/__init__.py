"""Benchmarks of relay-sansio against the official SDK and the wsproto floor.

Run ``python -m benchmarks --help``; docs/performance.md explains the workloads and records
the results. This package imports nothing at import time: measured client processes load only
what their client needs.
"""
