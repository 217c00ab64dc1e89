"""The sign-in page in a real browser: Swedish, with htmx, clean and self-contained."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, PageWatch


def test_sign_in_page_loads_in_swedish_with_its_heading(page: Page) -> None:
    response = page.goto("/login")

    assert response is not None
    assert response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("heading", level=1)).to_have_text("Logga in")


def test_sign_in_page_loads_htmx(page: Page) -> None:
    page.goto("/login", wait_until="load")

    assert page.evaluate("typeof htmx") == "object"


def test_sign_in_page_logs_no_console_error(page: Page, page_watch: PageWatch) -> None:
    page.goto("/login", wait_until="networkidle")

    assert page_watch.console_errors == []


def test_sign_in_page_makes_no_request_beyond_the_live_server(
    page: Page, page_watch: PageWatch, live_server: LiveServer
) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto("/login", wait_until="networkidle")

    assert any(url.startswith(live_server.base_url) for url in requested)
    assert page_watch.foreign_requests == []


def test_page_guard_records_a_request_beyond_the_live_server(
    page: Page, page_watch: PageWatch
) -> None:
    page.goto("/")
    with page.expect_request("https://example.invalid/pixel.png"):
        page.evaluate(
            "document.body.append(Object.assign(new Image(), "
            "{src: 'https://example.invalid/pixel.png'}))"
        )

    assert page_watch.foreign_requests == ["GET https://example.invalid/pixel.png"]
    page_watch.foreign_requests.clear()  # seen; the fixture would fail the test otherwise
