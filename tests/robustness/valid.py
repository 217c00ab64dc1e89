"""Valid input for every route: the fields of a body, known by name or made from their type.

Each (route, client) pair first sends one valid request (`World.valid` builds it from these
samples); hostile bodies are variations on the same sample, one field at a time.
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal

from tests.factories import PASSWORD
from tests.robustness.endpoints import unwrap

RESOURCE = {
    "title": "Ungdomsråd",
    "summary": "Så startade vi ett ungdomsråd.",
    "kind": "research",
    "municipality": "hedemora",
    "background": "Unga saknade en kanal.",
}
"""The resource the world shares, through the API, before the sweep."""
EVENT = {
    "kind": "seminar",
    "title": "Svepets seminarium",
    "starts_at": "2030-05-02T13:00:00+02:00",
    "ends_at": "2030-05-02T16:00:00+02:00",
    "place": "Svepet",
    "group": "svepet",
}
"""The event the world arranges, through the API, before the sweep."""

KNOWN_SAMPLES: dict[str, Any] = {
    "title": "Svepet",
    "body": "Ett inlägg från svepet.",
    "summary": "En sammanfattning.",
    "kind": "research",
    "municipality": "hedemora",
    "slug": "svepet-ny",
    "name": "Svepet",
    "focus_area": "youth",
    "description": "En grupp.",
    "visibility": "open",
    "email": "svepet-ny@avesta.se",
    "password": PASSWORD,
    "current_password": PASSWORD,
    "new_password": "ett långt och ovanligt lösenord för svepet 2031",
    "role": "member",
    "scopes": ["read", "write"],
    "goals": [1, 17],
    "message": "Hej!",
    "locale": "sv",
    "version": 1,
    "on": True,
    "write": False,
    "coordinator": False,
    "adopted_on": "2020-01-01",
    "link": "https://example.org/svepet",
    "next": "/",
    "outcome": "Bra",
    "expires_at": "2099-01-01T00:00:00+00:00",
    "starts_on": "2031-01-01",
    "ends_on": "2031-12-31",
    "group": "svepet-stangd",
    "domains": ["svepet.se"],
    "year": 2026,
    "status": "paid",
    "fee_sek": 10000,
    "representative_id": None,
    "reason": "Svepet prövar",
    "slow_mode_s": 0,
    "theme": "attraktivitet",
    "institution": "Svepets högskola",
    "authors": "Svepet",
    "doi": "10.5555/svepet",
    "implications": "Svepet visar **något**.",
    "online_url": "https://example.org/svepet",
    "programme": [],
}
QUERY_SAMPLES = {"q": "svepet"}
"""Values of required query parameters; any other gets "1"."""
SIGN_IN_FIELDS = {"email", "username", "password", "next"}
"""A form of only these fields signs in: it gets the address of an official who exists."""


def sample_value(name: str, annotation: Any) -> Any:
    """A valid value for a body field: known by name, else made from its type."""
    annotation = unwrap(annotation)
    if name in KNOWN_SAMPLES and not _outside(annotation, KNOWN_SAMPLES[name]):
        return KNOWN_SAMPLES[name]
    origin = typing.get_origin(annotation)
    if origin is list:
        return []
    if origin is Literal:
        return typing.get_args(annotation)[0]
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            return next(iter(annotation)).value
        for kind, value in (
            (bool, True),
            (int, 1),
            (float, 1.0),
            (str, "svepet"),
            (datetime, "2030-01-01T00:00:00+00:00"),
            (date, "2020-01-01"),
        ):
            if issubclass(annotation, kind):
                return value
    return "svepet"


def _outside(annotation: Any, value: Any) -> bool:
    """A known sample that is no member of the field's enum (an event's `kind` is no
    resource's): the enum's own first member is sampled instead."""
    if not (isinstance(annotation, type) and issubclass(annotation, enum.Enum)):
        return False
    return value not in {member.value for member in annotation}


def form_pairs(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The sample as form fields: a list is a repeated key, a boolean "true" or "false"."""
    pairs: list[tuple[str, str]] = []
    for name, value in values.items():
        for one in value if isinstance(value, list) else [value]:
            if one is not None:
                pairs.append((name, str(one).lower() if isinstance(one, bool) else str(one)))
    return pairs
