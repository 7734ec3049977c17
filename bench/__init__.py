"""Benchmarks: `python -m bench` measures the build, rendering and sending, and writes BENCHMARKS.md."""
