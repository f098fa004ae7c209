"""The OpenAPI 3.1 document of the HTTP API, served at `GET /openapi.json`.

The lead fields come from the parser itself (`bot.lead_input.field_schemas`) and the limits from the
modules that enforce them, so the document cannot drift from the code; tests post its examples to
the real endpoint.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from bot.intake import MAX_BODY, RETRY_AFTER, SIGNATURE_HEADER, TIMESTAMP_HEADER
from bot.lead_input import MAX_EXTRA_FIELDS, MAX_SOURCE, MAX_TEXT, field_schemas
from bot.outcome_input import MAX_AMOUNT, MAX_EMAIL, MAX_EXTERNAL_ID
from bot.request_body import MAX_DEPTH, MAX_NUMBER_CHARS
from storage.model import OutcomeState

EXAMPLES: dict[str, dict[str, Any]] = {
    "web_form": {
        "summary": "A web form, in its own spellings",
        "value": {
            "First Name": "Ada",
            "Last Name": "Lovelace",
            "Work Email": "ada@analytical.example",
            "Company": "Analytical Engines",
            "company_size": "50-199",
            "country": "GB",
            "lead_source": "web_form",
            "submission_id": "form-10001",
            "How did you hear about us": "a talk",
        },
    },
    "crm": {
        "summary": "A CRM callout with a score and an intent",
        "value": {
            "email": "grace@compilers.example",
            "full_name": "Grace Hopper",
            "employees": 1200,
            "industry": "software",
            "intent": "demo",
            "score": 87.5,
            "external_id": 5521,
            "created_at": "2026-11-23T14:05:00Z",
        },
    },
}

_PROBLEM = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string", "description": "what is wrong, in words"},
        "fields": {
            "type": "array",
            "description": "422 only: every bad field, by the name the sender used (`source` for `?source=`)",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}

_RESULT = {
    "type": "object",
    "required": ["lead_id", "state", "assignee", "rule", "summary", "reasons", "due_at"],
    "properties": {
        "lead_id": {"type": "integer"},
        "state": {"type": "string", "enum": ["received", "nurture", "assigned", "claimed", "escalated", "queued"]},
        "assignee": {"type": ["string", "null"], "description": "the rep offered the lead"},
        "rule": {"type": ["string", "null"], "description": "the routing rule that matched"},
        "summary": {"type": ["string", "null"]},
        "reasons": {"type": "array", "items": {"type": "string"}, "description": "why this rep, step by step"},
        "due_at": {"type": ["string", "null"], "format": "date-time", "description": "the claim deadline"},
        "attached_to": {
            "type": "integer",
            "description": "200 only: the person's lead still open or claimed, which this one joined unrouted",
        },
        "note": {"type": "string"},
    },
}


OUTCOME_EXAMPLES: dict[str, dict[str, Any]] = {
    "by_crm_id": {
        "summary": "A CRM workflow reports a won deal, naming the lead by its source and external id",
        "value": {
            "lead": {"source": "hubspot", "external_id": "5521"},
            "state": "won",
            "amount": 12000,
            "occurred_at": "2026-11-30T16:20:00Z",
        },
    },
    "by_email": {
        "summary": "By email: the latest lead with that address",
        "value": {"lead": "grace@compilers.example", "state": "working", "occurred_at": "2026-11-24T10:00:00Z"},
    },
    "by_id": {
        "summary": "By Leadrelay's lead id",
        "value": {"lead": 1, "state": "reopened", "occurred_at": "2026-12-02T09:00:00Z"},
    },
}

_OUTCOME = {
    "type": "object",
    "required": ["lead", "state", "occurred_at"],
    "additionalProperties": False,
    "properties": {
        "lead": {
            "description": "the lead: its id, its (source, external_id), or an email (the latest lead with it)",
            "oneOf": [
                {"type": "integer", "minimum": 1},
                {
                    "type": "object",
                    "required": ["source", "external_id"],
                    "additionalProperties": False,
                    "properties": {
                        "source": {"type": "string", "minLength": 1, "maxLength": MAX_SOURCE},
                        "external_id": {"type": ["string", "integer"], "maxLength": MAX_EXTERNAL_ID},
                    },
                },
                {"type": "string", "format": "email", "maxLength": MAX_EMAIL},
            ],
        },
        "state": {"type": "string", "enum": [state.value for state in OutcomeState]},
        "amount": {"type": ["number", "null"], "minimum": 0, "maximum": MAX_AMOUNT},
        "occurred_at": {
            "type": "string",
            "format": "date-time",
            "description": "when it happened (UTC when no zone is given); the latest to occur is the lead's outcome",
        },
    },
}

_OUTCOME_RESULT = {
    "type": "object",
    "required": ["lead_id", "recorded", "state", "occurred_at", "current", "owner"],
    "properties": {
        "lead_id": {"type": "integer"},
        "recorded": {"type": "boolean", "description": "false: the same lead, state and occurred_at was there"},
        "state": {"type": "string", "enum": [state.value for state in OutcomeState]},
        "occurred_at": {"type": "string", "format": "date-time"},
        "current": {
            "type": ["string", "null"],
            "description": "the lead's outcome now: the latest to occur (a late `working` leaves a `won`)",
        },
        "owner": {"type": ["string", "null"], "description": "the rep who owns the lead"},
        "note": {"type": "string"},
    },
}


_HEALTH = {
    "type": "object",
    "required": ["ok", "problems"],
    "properties": {
        "ok": {"type": "boolean"},
        "problems": {"type": "array", "items": {"type": "string"}},
        "held": {
            "description": "delivery held until someone fixes a fault: a transport (`address` null) or one address",
            "type": "array",
            "items": {
                "type": "object",
                "required": ["transport", "address", "error", "fix", "since"],
                "properties": {
                    "transport": {"type": "string"},
                    "address": {"type": ["string", "null"]},
                    "error": {"type": "string"},
                    "fix": {"type": "string"},
                    "since": {"type": "string", "format": "date-time"},
                },
            },
        },
    },
}


def _problem(description: str, **headers: Any) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if headers:
        answer["headers"] = headers
    return answer


def _lead_schema() -> dict[str, Any]:
    fields = field_schemas()
    properties: dict[str, Any] = {}
    for name, schema in fields.items():
        properties[name] = schema
        for alias in schema["x-aliases"]:
            same = {key: copy.deepcopy(value) for key, value in schema.items() if key != "x-aliases"}
            properties[alias] = {**same, "description": f"read as `{name}`"}
    return {
        "type": "object",
        "description": (
            "Lead fields. Keys are folded to snake_case before matching (`First Name` is `first_name`), "
            "and each field is read from its canonical name or an alias; the first one present wins. A "
            "lead needs at least an email, a phone, a name or a company. Any other key is kept as an "
            f"extra field shown to the rep and available to rules (at most {MAX_EXTRA_FIELDS}, text up "
            f"to {MAX_TEXT} characters). NUL characters and unpaired UTF-16 surrogates are removed from "
            "every string; NaN, Infinity, numbers that overflow or are longer than "
            f"{MAX_NUMBER_CHARS} characters, and nesting deeper than {MAX_DEPTH} levels are refused. The body "
            "of a HubSpot workflow's Send a webhook action (the contact: `vid` or `id` with its `properties`, "
            "or properties with `hs_object_id`) is read as that contact's lead: source `hubspot`, its id the "
            "external id. The body of a Salesforce Flow HTTP callout (a Lead record with `attributes.type` "
            "`Lead` or a Lead `Id`, 00Q…, as itself, in a one-record list or under `lead`, `Lead`, `record` "
            "or `inputs`; or any body sent with `?source=salesforce`) is read as that Lead: source "
            "`salesforce`, its Id the external id; a malformed one is refused naming the Lead field."
        ),
        "properties": properties,
        "additionalProperties": {"type": ["string", "number", "boolean", "null"], "maxLength": MAX_TEXT},
    }


@cache
def openapi_document() -> dict[str, Any]:
    """The document (built once; callers must not modify it)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Leadrelay",
            "version": "1",
            "description": (
                "Lead intake, outcomes, health and metrics. `POST /slack/events` is Slack's and is not described."
            ),
        },
        "paths": {
            "/leads": {
                "post": {
                    "operationId": "submitLead",
                    "summary": "Submit a lead: it is validated, stored, routed and offered to a rep",
                    "description": (
                        f"The body is at most {MAX_BODY} bytes, sent in any number of writes, with "
                        "`Content-Length` or chunked. A repeat of (source, external_id) returns the "
                        "first answer again (200) and routes nothing."
                    ),
                    "security": [{"bearer": []}, {"signature": [], "signatureTimestamp": []}],
                    "parameters": [
                        {
                            "name": "source",
                            "in": "query",
                            "required": False,
                            "description": (
                                "the lead's source when the body names none (default `api`); `salesforce`: the "
                                "body is a Salesforce Flow callout's Lead"
                            ),
                            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_SOURCE},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Lead"},
                                "examples": EXAMPLES,
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": (
                                "a repeat of (source, external_id): the first answer again; or a person whose "
                                "lead is still open or claimed (`attached_to`): attached to it, not routed"
                            ),
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Result"}}},
                        },
                        "202": {
                            "description": "stored and routed",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Result"}}},
                        },
                        "400": _problem("the body is not UTF-8 JSON, or nests too deeply to decode"),
                        "401": _problem(
                            "no valid bearer token or signature",
                            **{"WWW-Authenticate": {"schema": {"type": "string"}}},
                        ),
                        "413": _problem(f"the body is longer than {MAX_BODY} bytes"),
                        "422": _problem("invalid lead: `fields` names every bad field"),
                        "503": _problem(
                            "the database is busy or unreachable; nothing was stored, send it again later",
                            **{
                                "Retry-After": {
                                    "schema": {"type": "integer"},
                                    "description": f"seconds to wait ({RETRY_AFTER})",
                                }
                            },
                        ),
                    },
                }
            },
            "/outcomes": {
                "post": {
                    "operationId": "reportOutcome",
                    "summary": "Report what became of a lead: working, won, lost, disqualified or reopened",
                    "description": (
                        "Append-only and idempotent: a repeat of (lead, state, occurred_at) records nothing "
                        "and answers 200. Outcomes may arrive in any order; the one that occurred last is "
                        "the lead's. Won, lost and disqualified take a claimed lead out of its owner's open "
                        "load and count in their win rate; reopened puts it back. Same authentication and "
                        "body limits as `POST /leads`."
                    ),
                    "security": [{"bearer": []}, {"signature": [], "signatureTimestamp": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Outcome"},
                                "examples": OUTCOME_EXAMPLES,
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "a repeat: recorded already, nothing changed (`recorded` false)",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OutcomeResult"}}},
                        },
                        "201": {
                            "description": "recorded",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OutcomeResult"}}},
                        },
                        "400": _problem("the body is not UTF-8 JSON, or nests too deeply to decode"),
                        "401": _problem(
                            "no valid bearer token or signature",
                            **{"WWW-Authenticate": {"schema": {"type": "string"}}},
                        ),
                        "404": _problem("no lead answers to `lead`; `fields` names it"),
                        "413": _problem(f"the body is longer than {MAX_BODY} bytes"),
                        "422": _problem("invalid outcome: `fields` names every bad field (`lead.source`, `state`…)"),
                        "503": _problem(
                            "the database is busy or unreachable; nothing was stored, send it again later",
                            **{
                                "Retry-After": {
                                    "schema": {"type": "integer"},
                                    "description": f"seconds to wait ({RETRY_AFTER})",
                                }
                            },
                        ),
                    },
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "health",
                    "summary": "Whether the database answers and the outbox is moving, and what holds delivery back",
                    "responses": {
                        "200": {"description": "healthy", "content": {"application/json": {"schema": _HEALTH}}},
                        "503": {
                            "description": "unhealthy; `problems` says why",
                            "content": {"application/json": {"schema": _HEALTH}},
                        },
                    },
                }
            },
            "/metrics": {
                "get": {
                    "operationId": "metrics",
                    "summary": "Prometheus metrics, text exposition format",
                    "responses": {
                        "200": {"description": "metrics", "content": {"text/plain": {"schema": {"type": "string"}}}}
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.1",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Lead": _lead_schema(),
                "Result": _RESULT,
                "Outcome": _OUTCOME,
                "OutcomeResult": _OUTCOME_RESULT,
                "Problem": _PROBLEM,
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "`LEADRELAY_INTAKE_TOKEN`"},
                "signature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": SIGNATURE_HEADER,
                    "description": (
                        'v1=<hex HMAC-SHA256 of "v1:<timestamp>:<body>" keyed by the intake token>; '
                        f"with {TIMESTAMP_HEADER}, valid for five minutes"
                    ),
                },
                "signatureTimestamp": {
                    "type": "apiKey",
                    "in": "header",
                    "name": TIMESTAMP_HEADER,
                    "description": "unix seconds, ASCII digits",
                },
            },
        },
    }
