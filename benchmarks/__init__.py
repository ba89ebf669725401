"""Benchmark scripts: run each with python benchmarks/NAME.py --help."""
