"""SLA timer benchmarks: `python -m bench.sla`."""
