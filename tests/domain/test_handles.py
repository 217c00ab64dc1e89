"""Handles: made from names in ASCII, unique, checked when changed; mentions read them."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from domain import handles, users
from domain.actor import SYSTEM
from domain.errors import Invalid
from domain.notifications import mentioned_handles
from domain.seed import seed_demo
from models import User
from tests.factories import make_user


@pytest.mark.parametrize(
    ("name", "handle"),
    [
        ("Karin Lund", "karin.lund"),
        ("Åsa Öberg", "asa.oberg"),
        ("Anna-Karin Ståhl", "anna-karin.stahl"),
        ("Ünal Çelik  –  Özdemir", "unal.celik.ozdemir"),
        ("Bjørn Sæther", "bjorn.saether"),
        ("Seán O'Brien", "sean.obrien"),
        ("René  -  Dupont", "rene-dupont"),
        ("Maximiliana Wilhelmina Augusta von Bergslagen", "maximiliana.wilhelmina.augusta"),
        ("X", "official"),
        ("Мария", "official"),
    ],
)
def test_a_handle_is_made_from_the_name_in_ascii(name: str, handle: str) -> None:
    made = handles.handle_from_name(name)
    assert made == handle
    assert handles.check_handle(made) == made  # what is made obeys the rules


def test_two_officials_of_one_name_get_different_handles(session: Session) -> None:
    first, second, third = (
        users.create_user(
            session,
            SYSTEM,
            email=f"karin.lund{n}@nora.se",
            name="Karin Lund",
            municipality="nora",
            password="Erfarenheter delas i Bergslagen 2026",
        )
        for n in range(3)
    )
    assert [first.handle, second.handle, third.handle] == [
        "karin.lund",
        "karin.lund-2",
        "karin.lund-3",
    ]


def test_a_long_name_that_collides_keeps_within_thirty_characters(session: Session) -> None:
    long = "Maximiliana Wilhelmina Augusta von Bergslagen"
    make_user(session, name=long)
    second = make_user(session, name=long)
    assert second.handle == "maximiliana.wilhelmina.augus-2"
    assert len(second.handle) <= handles.MAX_LENGTH


@pytest.mark.parametrize("typed", ["@Karin.Lund", " karin.lund ", "k9", "a-b.c"])
def test_a_typed_handle_is_lower_cased_without_its_at(typed: str) -> None:
    assert handles.check_handle(typed) == typed.strip().removeprefix("@").lower()


@pytest.mark.parametrize(
    "typed",
    ["", "k", "karin lund", "åsa", "k\u0430rin", "-karin", "karin-", ".k", "a..b", "a_b", "x" * 31],
)
def test_a_handle_that_breaks_the_rules_is_invalid(typed: str) -> None:
    with pytest.raises(Invalid) as refused:
        handles.check_handle(typed)
    assert refused.value.errors[0].field == "handle"


def test_a_taken_handle_is_invalid_with_code_taken(session: Session) -> None:
    make_user(session, name="Olle Berg")
    karin = make_user(session, name="Karin Lund")
    assert karin.id is not None
    actor = SYSTEM
    with pytest.raises(Invalid) as refused:
        users.update_profile(session, actor, user_id=karin.id, handle="olle.berg")
    assert refused.value.errors[0].code == "taken"
    users.update_profile(session, actor, user_id=karin.id, handle="karin.lund")  # one's own
    users.update_profile(session, actor, user_id=karin.id, handle="Karin.Nora")
    assert karin.handle == "karin.nora"


@pytest.mark.parametrize(
    ("body", "mentioned"),
    [
        ("Tack @karin.lund.", ["karin.lund"]),
        ("Tack @karin.lund-", ["karin.lund"]),
        ("(@Karin.Lund) och @olle-berg: hej", ["karin.lund", "olle-berg"]),
        ("@karin.lund@nora.se", []),  # the old form mentions nobody
        ("karin@nora.se", []),  # an address does not mention its domain
        ("https://x.se/@nora.se", []),
        ("@karinå", []),  # no shorter handle inside a longer word
        ("@k och @" + "x" * 31, []),
        ("> @karin.lund i ett citat\n@olle.berg", ["olle.berg"]),
        ("@olle.berg @OLLE.BERG", ["olle.berg"]),
    ],
)
def test_mentions_are_read_as_handles(body: str, mentioned: list[str]) -> None:
    assert mentioned_handles(body) == mentioned


def test_seeded_officials_have_handles_from_their_names(session: Session) -> None:
    assert seed_demo(session)
    seeded = session.exec(select(User)).all()
    assert {user.handle for user in seeded} >= {"anna.lindqvist", "maria.oberg"}
    assert len({user.handle for user in seeded}) == len(seeded)
