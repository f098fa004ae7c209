"""An offer to a rep a person chose (a manager's "Assign to", a rep's "suggest a colleague").

The choice bypasses the rules and the rotation: the chosen rep gets the lead if they can take it now
(`routing.availability.unavailable`), and the pool cursor does not move, so a manual pick costs
nobody their round-robin turn. The SLA is the first policy that matches the lead, as the engine picks
it, counted in the rep's working time when the policy says so.
"""

from __future__ import annotations

from datetime import datetime

from routing import Decision, Lead, Outcome, Reason, RoutingConfig
from routing.config import Rep
from routing.enrich import enrich


def offer_to(config: RoutingConfig, lead: Lead, rep: Rep, now: datetime, *, chosen_by: str) -> Decision:
    """An ASSIGNED decision giving `lead` to `rep` at `now`, explained as chosen by `chosen_by`."""
    facts = enrich(lead, config)
    # The config guarantees a catch-all policy, so this always finds one.
    policy = next(p for p in config.sla if p.when.matches(facts))
    due_at = rep.hours.add_business_time(now, policy.within, rep.tz) if policy.business_hours else None
    due_at = due_at or now + policy.within
    remind_at = now + (due_at - now) * policy.remind_at if policy.remind_at is not None else None
    return Decision(
        outcome=Outcome.ASSIGNED,
        rep=rep.id,
        rule="suggested",
        pool=None,
        strategy="suggested",
        fallback=False,
        sla=policy.name,
        due_at=due_at,
        remind_at=remind_at,
        reasons=(Reason("suggested", f"suggested by @{chosen_by}", rep.id),),
        facts=facts,
    )
