"""The seeds' routing numbers as SQL aggregates (`reports.numbers`), their charts as PNG bytes
(`reports.charts`), exports (`reports.export`), digest weeks (`reports.periods`) and threshold alerts
with hysteresis (`reports.alerts`). Imports `routing` and `storage`, never Slack, aiohttp or `bot`."""
