"""Notifications by mail in Chromium: choosing a daily digest, the digest arriving through
the live server's SMTP server, and its one-click unsubscribe link working."""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from domain import notification_mail
from erfa import db
from models import Job, utcnow
from tests.browser.conftest import LiveServer, PageWatch
from tests.browser.flows import (
    group_with,
    mail_text,
    official,
    sign_in,
    start_discussion,
    unique,
    wait_for_mail,
)


def digest_due_now(live_server: LiveServer) -> None:
    """Move the live server's next daily round to now, as 07:00 coming would."""
    engine = db.create_db_engine(live_server.database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.update(Job)
                .where(Job.kind == notification_mail.DIGEST)  # type: ignore[arg-type]
                .values(run_at=utcnow())
            )
    finally:
        engine.dispose()


def test_a_daily_digest_arrives_by_smtp_and_its_link_unsubscribes(
    page: Page, other_page: Page, page_watch: PageWatch, live_server: LiveServer
) -> None:
    tag = unique()
    reader = official(live_server, f"Dagny Digest {tag}", municipality="nora")
    writer = official(live_server, f"Svante Svar {tag}")
    slug = group_with(live_server, reader, writer)

    sign_in(page, reader)
    page.goto("/settings")
    mail = page.get_by_role("region", name="Notiser via e-post")
    mail.get_by_label("i en daglig sammanfattning (07.00)").check()
    mail.get_by_role("button", name="Spara").click()
    expect(page.get_by_role("status")).to_contain_text("Sparat")
    expect(mail.get_by_label("i en daglig sammanfattning (07.00)")).to_be_checked()
    thread_id = start_discussion(page, slug, f"Sommarjobb {tag}", "Hur gör ni?")

    sign_in(other_page, writer)
    other_page.goto(f"/t/{thread_id}")
    other_page.get_by_role("combobox", name="Ditt svar (Markdown)").fill("Vi har 40 platser.")
    other_page.get_by_role("button", name="Skicka svar").click()
    expect(other_page.get_by_role("article")).to_have_count(2)

    digest_due_now(live_server)
    message = wait_for_mail(live_server, reader, "Dagens nyheter i erfa")
    text = mail_text(message)
    assert f"Svante Svar {tag} svarade i ”Sommarjobb {tag}”" in text
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message["List-Unsubscribe"].strip().strip("<>")
    assert link.startswith(f"{live_server.base_url}/unsubscribe/")
    assert link in text

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Notiser via e-post")
    page.get_by_role("button", name="Sluta skicka e-post").click()
    expect(page.get_by_role("status")).to_contain_text(re.compile(f"Inga fler notiser .*{reader}"))
    page.goto("/settings")
    mail = page.get_by_role("region", name="Notiser via e-post")
    expect(mail.get_by_label("aldrig: jag läser dem i erfa")).to_be_checked()
    assert page_watch.console_errors == []
