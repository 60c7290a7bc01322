"""Benchmarks: each measures LiveData beside a baseline in the same run."""
