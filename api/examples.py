"""Example payloads of the main request and response models, shown in /api/docs.

They are data, kept apart from the schemas so that those stay readable; a test checks that
every example validates against the schema it illustrates.
"""

from __future__ import annotations

from typing import Any

_JOHAN = {
    "id": 2,
    "name": "Johan Eriksson",
    "title": "Ungdomssamordnare",
    "municipality": "Hedemora",
}
_SECTIONS = {
    "background": "Unga i Hedemora sa i enkäten att de inte blir lyssnade på.",
    "purpose": "Ungdomar ska påverka det som rör dem, med egna pengar att besluta om.",
    "implementation": "Ett råd med 15 ungdomar träffas varannan vecka.",
    "results": "Gratis busskort på sommarlovet och belysning på gång- och cykelvägen.",
    "lessons": "Rådet behöver en vuxen kontaktperson som svarar inom en vecka.",
}

TOKEN_OUT: dict[str, Any] = {
    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIyIn0.c2lnbmF0dXJl",
    "token_type": "bearer",
    "expires_in": 900,
}
API_TOKEN_IN: dict[str, Any] = {"name": "Intranätet", "scopes": ["read"]}
NEW_API_TOKEN_OUT: dict[str, Any] = {
    "id": 7,
    "name": "Intranätet",
    "scopes": ["read"],
    "created_at": "2019-03-14T09:30:00Z",
    "expires_at": None,
    "last_used_at": None,
    "token": "erfa_pat_3q2-7wEVmvqYOt1kQ0yJbzIWJ8LQ",
}
USER_IN: dict[str, Any] = {
    "email": "karin.lund@nora.se",
    "name": "Karin Lund",
    "municipality": "nora",
    "title": "Folkhälsostrateg",
}
USER_OUT: dict[str, Any] = {
    "id": 21,
    "email": "karin.lund@nora.se",
    "handle": "karin.lund",
    "name": "Karin Lund",
    "title": "Folkhälsostrateg",
    "municipality": "nora",
    "status": "invited",
    "coordinator": False,
    "locale": "sv",
    "created_at": "2019-03-14T09:30:00Z",
}
OFFICIAL_OUT: dict[str, Any] = {
    **USER_OUT,
    "status": "active",
    "groups": [{"slug": "ungdom", "name": "Ungdom", "lead": False}],
    "last_active_at": "2019-03-20T13:05:00Z",
    "suspended_at": None,
    "invitation": None,
}
GROUP_IN: dict[str, Any] = {
    "slug": "ungdom",
    "name": "Ungdom",
    "focus_area": "youth",
    "description": "Hur får unga i Bergslagen inflytande och en meningsfull fritid?",
    "visibility": "open",
    "goals": [4, 10],
}
GROUP_OUT: dict[str, Any] = {
    "id": 1,
    "slug": "ungdom",
    "name": "Ungdom",
    "focus_area": "youth",
    "description": "Hur får unga i Bergslagen inflytande och en meningsfull fritid?",
    "visibility": "open",
    "member_count": 9,
    "thread_count": 4,
    "last_activity_at": "2019-03-14T09:30:00Z",
    "created_at": "2018-01-15T08:00:00Z",
    "leads": [_JOHAN],
    "can_read": True,
    "archived": False,
    "goals": [4, 10],
    "theme": "attraktivitet",
}
MEMBERSHIP_OUT: dict[str, Any] = {
    "group": "ungdom",
    "user": _JOHAN,
    "role": "lead",
    "created_at": "2018-01-15T08:00:00Z",
}
POST_IN: dict[str, Any] = {
    "body": "Vi i Hedemora provade samma upplägg i höstas, med **tio** ungdomar.",
    "reply_to_id": 41,
}
POST_PATCH: dict[str, Any] = {
    "body": "Vi i Hedemora provade samma upplägg i höstas, med **tolv** ungdomar."
}
POST_OUT: dict[str, Any] = {
    "id": 42,
    "thread_id": 7,
    "position": 2,
    "author": _JOHAN,
    "body": "Vi i Hedemora provade samma upplägg i höstas, med **tio** ungdomar.",
    "body_html": "<p>Vi i Hedemora provade samma upplägg i höstas, med <strong>tio</strong> "
    "ungdomar.</p>",
    "reply_to_id": 41,
    "created_at": "2019-03-14T09:30:00Z",
    "updated_at": None,
    "edited_at": None,
    "version": 1,
    "deleted": False,
    "hidden": False,
}
THREAD_IN: dict[str, Any] = {
    "title": "Ungdomsråd med egen budget – hur kom ni igång?",
    "body": "Vi funderar på att ge vårt ungdomsråd en egen budget. Hur gjorde ni?",
    "goals": [10, 16],
}
THREAD_OUT: dict[str, Any] = {
    "id": 7,
    "group": "ungdom",
    "title": "Ungdomsråd med egen budget – hur kom ni igång?",
    "author_id": 2,
    "pinned": False,
    "locked": False,
    "post_count": 1,
    "last_posted_at": "2019-03-14T09:30:00Z",
    "last_poster_name": "Johan Eriksson",
    "created_at": "2019-03-14T09:30:00Z",
    "version": 1,
    "goals": [10, 16],
    "lock_reason": None,
    "slow_mode_s": 0,
    "moved_from": None,
    "first_post": {**POST_OUT, "id": 41, "position": 1, "reply_to_id": None},
}
RESOURCE_IN: dict[str, Any] = {
    "title": "Ungdomsråd med egen budget",
    "summary": "Ett ungdomsråd som själv beslutar om 100 000 kr om året.",
    "kind": "model",
    "municipality": "hedemora",
    "goals": [10, 16],
    **_SECTIONS,
}
ADOPTION_IN: dict[str, Any] = {
    "municipality": "ludvika",
    "summary": "Vi startade ett råd med tio ungdomar hösten 2018.",
    "outcome": "Rådet finns kvar; budgeten är 50 000 kr.",
    "adopted_on": "2018-09-01",
}
ADOPTION_OUT: dict[str, Any] = {
    "id": 3,
    "municipality": "Ludvika",
    "summary": "Vi startade ett råd med tio ungdomar hösten 2018.",
    "outcome": "Rådet finns kvar; budgeten är 50 000 kr.",
    "adopted_on": "2018-09-01",
    "created_at": "2019-03-14T09:30:00Z",
}
RESOURCE_OUT: dict[str, Any] = {
    "id": 5,
    "group": "ungdom",
    "title": "Ungdomsråd med egen budget",
    "summary": "Ett ungdomsråd som själv beslutar om 100 000 kr om året.",
    "kind": "model",
    "municipality": "Hedemora",
    "contact": "Johan Eriksson",
    "link": None,
    "sections": _SECTIONS,
    "sections_html": {name: f"<p>{text}</p>" for name, text in _SECTIONS.items()},
    "thread_id": 9,
    "adoption_count": 1,
    "goals": [10, 16],
    "version": 2,
    "created_at": "2018-05-02T10:00:00Z",
    "updated_at": "2019-01-10T14:20:00Z",
    "adoptions": [ADOPTION_OUT],
}
HIDE_IN: dict[str, Any] = {"reason": "Personuppgifter om en elev."}
FLAG_IN: dict[str, Any] = {"reason": "Inlägget pekar ut en namngiven elev."}
FLAG_OUT: dict[str, Any] = {
    "id": 4,
    "post_id": 42,
    "thread_id": 7,
    "reasons": ["Inlägget pekar ut en namngiven elev."],
    "count": 1,
    "status": "open",
    "resolution": None,
    "resolution_reason": None,
    "created_at": "2019-03-14T09:30:00Z",
    "resolved_at": None,
}
AUDIT_ENTRY_OUT: dict[str, Any] = {
    "id": 12,
    "at": "2019-03-14T09:30:00Z",
    "actor": {"id": 2, "name": "Johan Eriksson"},
    "action": "post.hide",
    "object_type": "post",
    "object_id": 42,
    "group": "ungdom",
    "reason": "Personuppgifter om en elev.",
    "before": {"hidden": False},
    "after": {"hidden": True},
}
SEARCH_HIT_OUT: dict[str, Any] = {
    "type": "post",
    "id": 42,
    "title": "Ungdomsråd med egen budget – hur kom ni igång?",
    "snippet": "… samma upplägg i höstas, med tio <mark>ungdomar</mark> …",
    "group": "ungdom",
    "thread_id": 7,
}
ATTACHMENT_OUT: dict[str, Any] = {
    "id": 3,
    "filename": "ungdomsradets-arsrapport.pdf",
    "content_type": "application/pdf",
    "size": 184320,
    "url": "https://erfa.example.se/api/v1/attachments/3",
}
