"""Slack features, one module each; `register_all` wires every listener onto a Bolt app."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.features import commands, escalations, home, new_lead, offers, repeats
from bot.service import Service


def register_all(app: AsyncApp, service: Service) -> None:
    for feature in (repeats, offers, escalations, commands, home, new_lead):
        feature.register(app, service)
