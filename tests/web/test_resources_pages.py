"""The library of models and tools in the browser: share, read, record an adoption."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import Session

from models import User, Visibility
from tests.factories import make_group, make_membership, make_user

Browser = Callable[[User], TestClient]

FORM = {
    "title": "Inflyttarlots",
    "summary": "En lots för nya invånare.",
    "kind": "tool",
    "municipality": "ludvika",
    "background": "Många flyttade **igen**.",
    "purpose": "Fler ska stanna.",
    "implementation": "",
    "results": "",
    "lessons": "",
}


def test_sharing_a_tool_shows_the_case_template_and_the_library_finds_it(
    browser_as: Browser, session: Session
) -> None:
    group = make_group(session, slug="attr-w", name="Attraktionskraft W")
    user = make_user(session)
    make_membership(session, group=group, user=user)
    client = browser_as(user)
    shared = client.post("/g/attr-w/resources", data=FORM)
    assert shared.status_code == 303, shared.text
    page = client.get(shared.headers["location"]).text
    assert "Inflyttarlots" in page
    assert "<strong>igen</strong>" in page
    assert "Bakgrund" in page
    assert "Syfte och mål" in page
    assert "Inte ifyllt." in page  # empty sections are marked, not hidden
    library = client.get("/library?kind=tool").text
    assert "Inflyttarlots" in library
    assert "Inflyttarlots" not in client.get("/library?kind=research").text


def test_a_municipality_records_that_it_tried_it(browser_as: Browser, session: Session) -> None:
    group = make_group(session, slug="attr-x")
    user = make_user(session)
    make_membership(session, group=group, user=user)
    client = browser_as(user)
    location = client.post("/g/attr-x/resources", data=FORM).headers["location"]
    adopted = client.post(
        f"{location}/adoptions",
        data={
            "municipality": "fagersta",
            "summary": "Vi anställde en lots 2019.",
            "outcome": "Bra",
        },
    )
    assert adopted.status_code == 303
    page = client.get(location).text
    assert "Fagersta" in page
    assert "Vi anställde en lots 2019." in page
    assert "prövad i 1 kommun" in client.get("/library?sort=adoptions").text
    empty = client.post(f"{location}/adoptions", data={"municipality": "nora", "summary": " "})
    assert empty.status_code == 422
    assert "Berätta kort hur ni använde det." in empty.text


def test_bad_input_is_shown_in_the_form(browser_as: Browser, session: Session) -> None:
    group = make_group(session, slug="attr-y")
    user = make_user(session)
    make_membership(session, group=group, user=user)
    response = browser_as(user).post("/g/attr-y/resources", data={**FORM, "link": "ftp://x"})
    assert response.status_code == 422
    assert "En länk börjar med https:// eller http://." in response.text


def test_closed_group_resources_are_invisible_to_outsiders(
    browser_as: Browser, session: Session
) -> None:
    closed = make_group(session, slug="styr-w", visibility=Visibility.CLOSED)
    lead = make_user(session)
    make_membership(session, group=closed, user=lead)
    location = browser_as(lead).post("/g/styr-w/resources", data=FORM).headers["location"]
    outsider = browser_as(make_user(session))
    assert outsider.get(location).status_code == 404
    assert "Inflyttarlots" not in outsider.get("/library").text


def test_files_are_uploaded_from_the_page_and_downloaded_by_readers_only(
    browser_as: Browser, session: Session
) -> None:
    group = make_group(session, slug="attr-z")
    user = make_user(session)
    make_membership(session, group=group, user=user)
    client = browser_as(user)
    location = client.post("/g/attr-z/resources", data=FORM).headers["location"]
    pdf = b"%PDF-1.4\n%%EOF\n"
    uploaded = client.post(
        f"{location}/attachments", files={"file": ("plan.pdf", pdf, "application/pdf")}
    )
    assert uploaded.headers["location"].endswith("notice=uploaded#files")
    refused = client.post(
        f"{location}/attachments", files={"file": ("x.html", b"<html></html>", "text/html")}
    )
    assert refused.headers["location"].endswith("notice=unsupported#files")
    page = client.get(location).text
    link = page.split("/a/")[1].split('"')[0]
    assert browser_as(make_user(session)).get(f"/a/{link}").content == pdf


def test_the_group_page_offers_every_municipality_with_ones_own_preselected(
    browser_as: Browser, session: Session
) -> None:
    group = make_group(session, slug="kommunval")
    official = make_user(session)
    make_membership(session, group=group, user=official)
    page = browser_as(official).get("/g/kommunval").text
    share_form = page[page.index('id="res-municipality"') :]
    share_form = share_form[: share_form.index("</select>")]
    assert share_form.count("<option") == 10
    assert '<option value="avesta" selected>' in share_form
