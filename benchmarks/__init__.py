"""Benchmarks: ``python -m benchmarks`` (``make bench``) prints a table of measured rates."""
