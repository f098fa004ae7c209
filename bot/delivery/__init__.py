"""Outbox delivery: one dispatcher (`dispatcher`), many transports (`slack`, one module each), one fault
taxonomy (`outcome`). See `docs/architecture.md`, "How to add a transport"."""
