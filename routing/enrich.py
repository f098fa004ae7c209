"""Enrichment: turn a lead into the flat, normalised facts that rules and accounts match on."""

from __future__ import annotations

from functools import lru_cache
from operator import attrgetter
from typing import Any

from routing.config import Account, RoutingConfig, normalise_domain
from routing.geo import COUNTRY_LANGUAGE, COUNTRY_NAMES
from routing.model import Lead

_CORE_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "company",
    "title",
    "phone",
    "industry",
    "source",
    "intent",
    "employees",
    "score",
)
_core_values = attrgetter(*_CORE_FIELDS)  # all of them in one C-level call


def enrich(lead: Lead, config: RoutingConfig) -> dict[str, Any]:
    """Facts for the rules: the lead's fields plus email_domain, domain, country (ISO code), region,
    segment and language. A free-mail address (gmail.com, …) never supplies the company domain."""
    facts: dict[str, Any] = {key: value for key, value in lead.extra.items() if value not in (None, "")}
    for name, value in zip(_CORE_FIELDS, _core_values(lead), strict=True):
        if value is not None and value != "":
            facts[name] = value
    facts["name"] = lead.display_name

    email_domain = lead.email.rsplit("@", 1)[1].lower() if lead.email and "@" in lead.email else None
    if email_domain:
        facts["email_domain"] = email_domain
        facts["free_mail"] = email_domain in config.free_mail
    if lead.domain:
        facts["domain"] = normalise_domain(lead.domain)
    elif email_domain and email_domain not in config.free_mail:
        facts["domain"] = email_domain

    country = country_code(lead.country)
    if country:
        facts["country"] = country
        region = config.country_region.get(country)
        if region:
            facts["region"] = region
        if "language" not in facts and country in COUNTRY_LANGUAGE:
            facts["language"] = COUNTRY_LANGUAGE[country]
    if lead.employees is not None:
        for segment in config.segments:
            if segment.matches({segment.field: lead.employees}):
                facts["segment"] = segment.field
                break
    return facts


@lru_cache(maxsize=1024)  # a handful of spellings per country arrive again and again
def country_code(text: str | None) -> str | None:
    """ISO 3166-1 alpha-2 for a code or a common country name; the input upper-cased if unknown."""
    if not text or not text.strip():
        return None
    cleaned = text.strip()
    named = COUNTRY_NAMES.get(cleaned.casefold())  # first, so "UK" reads as GB, not as a code
    return named or cleaned.upper()


def find_account(facts: dict[str, Any], config: RoutingConfig) -> Account | None:
    """The account whose domain or alias matches the lead's domain, walking up subdomains
    (``eu.shop.acme.com`` finds ``acme.com``)."""
    domain = facts.get("domain")
    if not domain or not config.accounts:
        return None
    domain = str(domain)
    if "." in domain and (account := config.accounts.get(domain)) is not None:
        return account  # the domain itself, without splitting and joining it again
    labels = domain.split(".")
    for start in range(1, len(labels) - 1):
        account = config.accounts.get(".".join(labels[start:]))
        if account is not None:
            return account
    return None
