"""Replay speed: `python -m bench.simulate`."""
