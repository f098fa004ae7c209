"""Outbox transports other than Slack (signed webhooks, CRMs) and what every transport shares
(`connectors.delivery`: the `Transport` protocol and the fault taxonomy the dispatcher acts on).

Layering: connectors use `storage` (and `routing`), never `bot`; the bot's composition root
(`bot.service.Service.build`) registers them.
"""
