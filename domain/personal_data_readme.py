"""`LÄSMIG.txt` of the personal-data package: what each part holds and the official's
rights, in Swedish and English (the package is a document, not a page: both languages,
whatever the official's own)."""

from __future__ import annotations

from domain.personal_data_categories import CATEGORIES

README = "LÄSMIG.txt"

ABOUT: dict[str, tuple[str, str]] = {
    "profile": (
        "din profil: namn, titel, kommun, språk, roller, när du loggade in; "
        "om ett lösenord är satt (aldrig lösenordet)",
        "your profile: name, title, municipality, language, roles, sign-ins; "
        "whether a password is set (never the password)",
    ),
    "memberships": ("grupper du är medlem eller gruppledare i", "groups you belong to or lead"),
    "join_requests": (
        "dina förfrågningar om att gå med i stängda grupper",
        "your requests to join closed groups",
    ),
    "join_requests_decided": (
        "förfrågningar som du som gruppledare beslutade om",
        "join requests you decided as a group lead",
    ),
    "threads": ("diskussioner du startade", "discussions you started"),
    "posts": (
        "dina inlägg, med markdown-text och status (redigerat, raderat, dolt)",
        "your posts, their markdown text and state (edited, deleted, hidden)",
    ),
    "post_revisions": (
        "tidigare versioner av dina inlägg, och redigeringar du gjort",
        "earlier versions of your posts, and edits you made",
    ),
    "posts_hidden": (
        "inlägg du dolde som moderator, med skälet",
        "posts you hid as a moderator, with the reason",
    ),
    "resources": (
        "modeller, verktyg, processer och forskning du delade, med "
        "fallmallens fält och Agenda 2030-mål",
        "models, tools, processes and research you shared, with the case "
        "template's fields and Agenda 2030 goals",
    ),
    "resource_goals": (
        "Agenda 2030-mål för resurserna du delade",
        "the Agenda 2030 goals of the resources you shared",
    ),
    "resources_as_contact": (
        "resurser där du står som kontaktperson",
        "resources that name you as the contact",
    ),
    "attachments": (
        "filer du laddade upp till resurser (filerna ligger i files/attachments/)",
        "files you uploaded to resources (the files are in files/attachments/)",
    ),
    "event_documents": (
        "dokumentation du laddade upp till evenemang (files/event_documents/)",
        "event documentation you uploaded (files/event_documents/)",
    ),
    "adoptions": (
        '"vi provade detta": tillämpningar du registrerade',
        '"we tried this": adoptions you recorded',
    ),
    "event_registrations": (
        "dina anmälningar till evenemang och platser i kö",
        "your event registrations and places on waiting lists",
    ),
    "events_arranged": ("evenemang du skapade", "events you created"),
    "flags": (
        "inlägg du flaggade, och hur det avgjordes",
        "posts you flagged, and how it was decided",
    ),
    "flags_resolved": ("flaggor du avgjorde som gruppledare", "flags you resolved as a lead"),
    "notifications": ("notiser till dig", "notifications to you"),
    "notifications_caused": (
        "notiser som dina handlingar gav andra (utan mottagare)",
        "notifications your acts caused others (without recipients)",
    ),
    "subscriptions": ("diskussioner och grupper du följer", "discussions and groups you follow"),
    "thread_read_markers": (
        "hur långt du har läst i varje diskussion",
        "how far you have read each discussion",
    ),
    "web_sessions": (
        "dina inloggningar i webbläsare: när, IP-adress, webbläsare (aldrig den hemliga nyckeln)",
        "your browser sessions: when, IP address, browser (never the secret)",
    ),
    "api_tokens": (
        "dina API-nycklar: namn, början, behörighet, datum (aldrig nyckeln)",
        "your API tokens: name, prefix, scopes, dates (never the token)",
    ),
    "webhooks": (
        "webhooks du skapade (aldrig signeringsnyckeln)",
        "webhooks you created (never the signing secret)",
    ),
    "webhook_deliveries": (
        "leveranslogg för dina webhooks (utan innehåll)",
        "the delivery log of your webhooks (without payloads)",
    ),
    "invitations": ("inbjudningar till dig (bara datum)", "invitations to you (dates only)"),
    "invitations_sent": ("inbjudningar du skickade", "invitations you sent"),
    "password_resets": (
        "begäranden om nytt lösenord (bara datum)",
        "password reset requests (dates only)",
    ),
    "signup_requests": (
        "ansökningar om konto med din e-postadress",
        "account requests made with your email address",
    ),
    "signup_requests_decided": (
        "kontoansökningar du beslutade om som samordnare",
        "account requests you decided as a coordinator",
    ),
    "audit_entries": (
        "granskningsloggen: det som gjorts som rör dig eller det som är ditt, med "
        "skäl och ändringar; och det du gjort som gruppledare eller samordnare (vad, "
        "när och på vad; skäl och uppgifter om andra personer ingår inte)",
        "the audit log: what was done about you or what is yours, with reasons and "
        "changes; and what you did as a lead or coordinator (what, when and to what; "
        "reasons and details about other people are left out)",
    ),
}
"""What each `data/<name>.json` holds, in Swedish and English (LÄSMIG.txt)."""

_README_SV = """\
Dina personuppgifter i erfa
===========================

Det här paketet innehåller allt som erfa, Bergslagsakademiens forum för
erfarenhetsgrupper, har sparat om dig. Du har begärt det själv (artikel 15 och 20
i dataskyddsförordningen, GDPR).

Innehåll
--------
- data/*.json: uppgifterna i maskinläsbar form (JSON, UTF-8), en fil per slag.
  Tider anges i UTC (ISO 8601). Id-nummer pekar på rader i erfa, t.ex. en grupp
  eller en diskussion.
{files}
- files/: filer du har laddat upp, byte för byte som de sparades.
- manifest.json: storlek och SHA-256-kontrollsumma för varje fil i paketet, så att
  du kan se att inget saknas eller har ändrats.
{missing}
Dina rättigheter
----------------
Du har rätt att få rättat felaktiga uppgifter (du ändrar själv namn, titel och språk
under Inställningar), att få uppgifter raderade, att begära begränsning, att invända
mot behandlingen och att flytta dina uppgifter (det här paketet). Vänd dig till
föreningens samordnare. Är du missnöjd kan du klaga hos Integritetsskyddsmyndigheten
(IMY), www.imy.se.

Länken till paketet gäller i sju dagar; sedan raderas paketet.
"""

_README_EN = """\
Your personal data in erfa (English)
====================================

This package holds everything erfa, the forum of Bergslagsakademien's experience
groups, keeps about you, as you asked (GDPR articles 15 and 20).

- data/*.json: the data in machine-readable form (JSON, UTF-8), one file per kind.
  Times are UTC (ISO 8601); ids point to rows in erfa, such as a group or a discussion.
{files}
- files/: the files you uploaded, byte for byte as stored.
- manifest.json: the size and SHA-256 checksum of every file in the package.
{missing}
Your rights: rectification (change your name, title and language under Settings),
erasure, restriction, objection and portability (this package). Ask the association's
coordinators. You may complain to the Swedish Authority for Privacy Protection (IMY),
www.imy.se. The link to this package works for seven days; then the package is deleted.
"""


def readme(missing: list[str]) -> str:
    names = ["profile", *(category.name for category in CATEGORIES)]
    sv = "\n".join(f"  - data/{name}.json: {ABOUT[name][0]}" for name in names)
    en = "\n".join(f"  - data/{name}.json: {ABOUT[name][1]}" for name in names)
    gone_sv = gone_en = ""
    if missing:
        listed = "\n".join(f"  - {path}" for path in missing)
        gone_sv = f"\nDessa filer fanns inte längre i erfas lagring:\n{listed}\n"
        gone_en = f"\nThese files were no longer in erfa's storage:\n{listed}\n"
    return (
        _README_SV.format(files=sv, missing=gone_sv)
        + "\n\n"
        + _README_EN.format(files=en, missing=gone_en)
    )
