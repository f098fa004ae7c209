"""Who is who: Slack user ids to config people, and who may act for whom.

A rep may act on their own offers and settings; a manager on those of every rep they manage (a rep
whose `manager` they are, or a member of a team they manage). Anyone Slack sends us who is not in the
config is a stranger and may do nothing but read what is addressed to everyone.
"""

from __future__ import annotations

from routing import RoutingConfig


class People:
    def __init__(self, config: RoutingConfig, extra_slack_ids: dict[str, str] | None = None) -> None:
        """`extra_slack_ids` maps person id → Slack id for people whose config has only an email
        (resolved at start-up with users.lookupByEmail)."""
        self.config = config
        slack_ids: dict[str, str] = {}
        for person_id in (*config.reps, *config.managers):
            slack_id = config.slack_id(person_id)
            if slack_id:
                slack_ids[person_id] = slack_id
        slack_ids.update(extra_slack_ids or {})
        self._slack_of = slack_ids
        self._person_of = {slack: person for person, slack in slack_ids.items()}

    def person(self, slack_user: str) -> str | None:
        """The config id of a Slack user, or None for a stranger."""
        return self._person_of.get(slack_user)

    def slack_id(self, person_id: str) -> str | None:
        return self._slack_of.get(person_id)

    def is_manager(self, person_id: str) -> bool:
        return person_id in self.config.managed or person_id in self.config.managers

    def manages(self, manager_id: str) -> frozenset[str]:
        return self.config.manages(manager_id)

    def may_act_for(self, actor: str, rep_id: str) -> bool:
        return actor == rep_id or rep_id in self.manages(actor)

    def teams_managed(self, manager_id: str) -> list[str]:
        return [team.id for team in self.config.teams.values() if team.manager == manager_id]
