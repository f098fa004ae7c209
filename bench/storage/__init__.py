"""Storage benchmarks: `python -m bench.storage`."""
