"""The CRM the config names, built from the environment: one builder per `crm.kind`.

Credentials and base URLs come from the environment, never from the YAML file (`DESIGN.md`). A CRM's
client is imported only when that CRM is configured.

To add a CRM: a package in `connectors/` with a class satisfying `connectors.crm.api.CrmApi`, its kind
in `routing.config.compiled.CRM_KINDS` (and `CrmSpec.kind`), and one line in `BUILDERS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from connectors.crm.api import CrmApi
from routing.config import ConfigError, Crm

Clock = Callable[[], datetime]


def hubspot(crm: Crm, environ: Mapping[str, str], now: Clock) -> CrmApi:
    """HubSpot with the private-app token in `HUBSPOT_TOKEN`, at `HUBSPOT_API_URL` if set."""
    from connectors.hubspot.api import HubSpotApi  # the client is large: imported only when used

    token = environ.get("HUBSPOT_TOKEN", "").strip()
    if not token:
        raise ConfigError(["crm: set HUBSPOT_TOKEN to the HubSpot private app's access token"])
    return HubSpotApi(
        token,
        host=environ.get("HUBSPOT_API_URL") or None,
        stages=crm.stages,
        outcome_object=crm.outcome_object,
        outcome_property=crm.outcome_property,
        now=now,
    )


def salesforce(crm: Crm, environ: Mapping[str, str], now: Clock) -> CrmApi:
    """Salesforce at `SALESFORCE_INSTANCE_URL`, signed in with the connected app's client credentials or
    the integration user's access token (`connectors.salesforce.client`);
    `crm.stages` maps Lead Status to outcomes (None: the connector's standard statuses)."""
    from connectors.salesforce.api import SalesforceApi  # the client is imported only when used
    from connectors.salesforce.client import SalesforceSettingsError

    try:
        return SalesforceApi.from_environ(environ, status_outcomes=crm.stages, clock=now)
    except SalesforceSettingsError as exc:
        raise ConfigError([f"crm: {problem}" for problem in exc.problems]) from None
    except ValueError as exc:  # a status mapped to no outcome; compile checks it too, a built Crm may not be
        raise ConfigError([f"crm.outcomes.stages: {exc}"]) from None


# crm.kind: how to build it from the config, the environment and the clock (the first outcome cursor is
# "now").
BUILDERS: dict[str, Callable[[Crm, Mapping[str, str], Clock], CrmApi]] = {
    "hubspot": hubspot,
    "salesforce": salesforce,
}


def open_crm(crm: Crm, environ: Mapping[str, str], now: Clock = lambda: datetime.now(UTC)) -> CrmApi:
    """The CrmApi for `crm`; `now`: the service's clock. Raises ConfigError naming what is missing (a
    credential, a connector)."""
    builder = BUILDERS.get(crm.kind)
    if builder is None:
        raise ConfigError([f"crm.kind: no connector for {crm.kind!r} in this version of Leadrelay"])
    return builder(crm, environ, now)
