"""Benchmarks: run `python -m bench.onboarding` (see bench/README.md)."""
