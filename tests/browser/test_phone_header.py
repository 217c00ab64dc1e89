"""The header on a phone (390 px wide, touch): one short row, a menu that opens with a tap
and works without JavaScript, targets of at least 44 px; on a desktop, the row as ever."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, FloatRect, Locator, Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.flows import PASSWORD, official
from tests.browser.test_accessibility import serious_violations

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
CLOSED_HEADER_MAX_PX = 80
TOUCH_TARGET_PX = 44
SIDEWAYS_SCROLL = "document.documentElement.scrollWidth - window.innerWidth"
NAVIGATION = ("Grupper", "Modeller och verktyg", "Evenemang", "Teman", "Notiser")


@pytest.fixture
def phone(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A page in a Swedish phone's browser context."""
    yield from _page(browser, live_server, java_script=True)


@pytest.fixture
def phone_without_javascript(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    yield from _page(browser, live_server, java_script=False)


def _page(browser: Browser, live_server: LiveServer, *, java_script: bool) -> Iterator[Page]:
    context = browser.new_context(
        locale="sv-SE",
        base_url=live_server.base_url,
        viewport=PHONE,
        has_touch=True,
        is_mobile=True,
        java_script_enabled=java_script,
    )
    context.set_default_timeout(10_000)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()
    assert errors == []


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-post").fill(email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Erfarenhetsgrupper")


def box(locator: Locator) -> FloatRect:
    found = locator.bounding_box()
    assert found is not None, f"{locator} is not rendered"
    return found


def height(locator: Locator) -> float:
    return float(box(locator)["height"])


def name(target: Locator) -> str:
    tag = str(target.evaluate("element => element.tagName"))
    return f"{tag} {target.inner_text().strip() or target.get_attribute('name')}"


def test_on_a_phone_the_header_is_one_short_row_and_the_menu_opens_with_a_tap(
    phone: Page, live_server: LiveServer
) -> None:
    sign_in(phone, official(live_server, "Petra Telefon"))
    header = phone.locator("header.site-header")
    menu = header.locator("summary")
    expect(menu).to_be_visible()
    for link in NAVIGATION:
        expect(header.get_by_role("link", name=link, exact=True)).to_be_hidden()
    assert height(header) <= CLOSED_HEADER_MAX_PX

    menu.tap()
    for link in NAVIGATION:
        expect(header.get_by_role("link", name=link, exact=True)).to_be_visible()
    expect(header.get_by_role("button", name="Logga ut")).to_be_visible()
    expect(header.get_by_role("searchbox", name="Sök i erfa")).to_be_visible()
    assert height(header) <= CLOSED_HEADER_MAX_PX  # the menu lies over the page

    header.get_by_role("link", name="Modeller och verktyg", exact=True).tap()
    expect(phone).to_have_url(live_server.base_url + "/library")
    expect(header.get_by_role("link", name="Grupper", exact=True)).to_be_hidden()


def test_on_a_phone_every_target_in_the_header_is_at_least_44_px_tall(
    phone: Page, live_server: LiveServer
) -> None:
    sign_in(phone, official(live_server, "Tore Tumme"))
    header = phone.locator("header.site-header")
    header.locator("summary").tap()
    targets = header.locator("a, button, summary, input:not([type=hidden])")
    sizes = {name(target): height(target) for target in targets.all() if target.is_visible()}
    assert len(sizes) >= 9, sizes
    assert {target: px for target, px in sizes.items() if px < TOUCH_TARGET_PX} == {}


def test_on_a_phone_filters_put_labels_above_fields_of_44_px(
    phone: Page, live_server: LiveServer
) -> None:
    sign_in(phone, official(live_server, "Filippa Filter"))
    phone.goto("/library")
    label = phone.locator("form.filters label[for=filter-kind]")
    field = phone.locator("#filter-kind")
    label_box, field_box = box(label), box(field)
    assert label_box["y"] + label_box["height"] <= field_box["y"] + 1
    assert abs(label_box["x"] - field_box["x"]) <= 1
    assert field_box["height"] >= TOUCH_TARGET_PX
    for path in ("/library", "/"):  # a select's long option must not widen the page
        phone.goto(path)
        assert phone.evaluate(SIDEWAYS_SCROLL) == 0, path


def test_the_phone_menu_works_without_javascript(
    phone_without_javascript: Page, live_server: LiveServer
) -> None:
    page = phone_without_javascript
    sign_in(page, official(live_server, "Nils Noscript"))
    header = page.locator("header.site-header")
    expect(header.get_by_role("link", name="Teman", exact=True)).to_be_hidden()
    header.locator("summary").tap()
    header.get_by_role("link", name="Teman", exact=True).tap()
    expect(page).to_have_url(live_server.base_url + "/themes")


def test_on_a_phone_the_sign_in_page_switches_language(phone: Page) -> None:
    phone.goto("/login")
    header = phone.locator("header.site-header")
    assert height(header) <= CLOSED_HEADER_MAX_PX
    switch = header.get_by_role("button", name="English")
    assert height(switch) >= TOUCH_TARGET_PX
    switch.tap()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Sign in")
    phone.reload()  # remembered, though the browser asks for Swedish
    expect(phone.get_by_role("heading", level=1)).to_have_text("Sign in")
    header.get_by_role("button", name="Svenska").tap()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Logga in")


def test_on_a_phone_the_open_menu_and_the_sign_in_page_have_no_serious_violation(
    phone: Page, live_server: LiveServer
) -> None:
    phone.goto("/login")
    found = {"/login": serious_violations(phone)}
    sign_in(phone, official(live_server, "Axel Axe"))
    phone.locator("header.site-header summary").tap()
    found["/ (menu open)"] = serious_violations(phone)
    phone.goto("/library")
    found["/library"] = serious_violations(phone)
    assert found == {page: [] for page in found}


def test_on_a_desktop_the_header_shows_the_navigation_without_a_menu(
    page: Page, live_server: LiveServer
) -> None:
    page.set_viewport_size(DESKTOP)
    page.goto("/login")
    page.get_by_label("E-post").fill(official(live_server, "Dagny Desktop"))
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    header = page.locator("header.site-header")
    expect(header.locator("summary")).to_be_hidden()
    for link in NAVIGATION:
        expect(header.get_by_role("link", name=link, exact=True)).to_be_visible()
    expect(header.get_by_role("searchbox", name="Sök i erfa")).to_be_visible()
    brand = box(header.get_by_role("link", name="erfa", exact=True))
    groups = box(header.get_by_role("link", name="Grupper", exact=True))
    assert abs(groups["y"] - brand["y"]) < brand["height"]  # on the brand's row, as ever
