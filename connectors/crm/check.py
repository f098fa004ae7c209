"""`leadrelay check --crm`: whether the CRM can take Leadrelay's writes, before a lead depends on it.

Checks the token and its scopes (`CrmApi.check`), then resolves every rep and manager who can own a
lead to a CRM user by their email, as the owner write-back will. Each problem is one line naming the
person or the scope and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.crm.api import CrmApi, CrmAuthError, CrmError
from routing import RoutingConfig


@dataclass(slots=True)
class CrmCheck:
    """What the check found: `users` (person id: CRM user id) and `problems`, one line each."""

    users: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def check_crm(api: CrmApi, config: RoutingConfig) -> CrmCheck:
    """Run the check (synchronous, as the CRM clients are). A CRM that cannot be reached is a problem."""
    found = CrmCheck()
    try:
        found.problems.extend(api.check())
    except CrmAuthError as exc:
        found.problems.append(f"{api.name} token: {exc}: {exc.fix}")
        return found  # nothing else can be read with it
    except CrmError as exc:
        found.problems.append(f"{api.name}: {exc}")
        return found
    people = {
        **{pid: p.email for pid, p in config.managers.items()},
        **{pid: p.email for pid, p in config.reps.items()},
    }
    for person_id, email in sorted(people.items()):
        if person_id not in config.reps and not email:
            continue  # a manager without an email only owns what they take; the rep list is what matters
        if not email:
            found.problems.append(f"{person_id}: no email in the config, so no {api.name} user can be found for them")
            continue
        try:
            user = api.find_user(email)
        except CrmError as exc:
            found.problems.append(f"{person_id} ({email}): {exc}")
            continue
        if user is None:
            found.problems.append(f"{person_id}: no {api.name} user has the email {email}")
        else:
            found.users[person_id] = user
    return found
