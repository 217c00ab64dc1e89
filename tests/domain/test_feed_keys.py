"""Feed keys: derived from the secret, the official and a generation; revocable; only for
active officials; anything else that looks like a key opens nothing."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from domain import auth, feed_keys
from domain.actor import ANONYMOUS, load_actor
from domain.errors import Unauthenticated
from models import MemberRole, User, UserStatus
from tests.factories import make_group, make_membership, make_user

SECRET = "a" * 64
OTHER_SECRET = "b" * 64


@pytest.fixture
def official(session: Session) -> User:
    return make_user(session, name="Karin Lund")


def test_a_key_names_its_official_and_carries_at_least_128_bits(official: User) -> None:
    key = feed_keys.key_for(official, SECRET)
    user_id, _, mac = key.partition("-")
    assert user_id == str(official.id)
    assert len(mac) * 6 >= 128
    assert set(mac) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert feed_keys.key_for(official, SECRET) == key  # derived, so the same every time


def test_the_key_opens_to_its_official(session: Session, official: User) -> None:
    assert feed_keys.user_for(session, feed_keys.key_for(official, SECRET), SECRET) is official


def test_keys_differ_by_official_and_by_secret(session: Session, official: User) -> None:
    other = make_user(session)
    assert feed_keys.key_for(official, SECRET) != feed_keys.key_for(other, SECRET)
    assert feed_keys.key_for(official, SECRET) != feed_keys.key_for(official, OTHER_SECRET)
    assert feed_keys.user_for(session, feed_keys.key_for(official, OTHER_SECRET), SECRET) is None


def test_another_officials_mac_under_ones_own_id_opens_nothing(
    session: Session, official: User
) -> None:
    other = make_user(session)
    _, _, their_mac = feed_keys.key_for(other, SECRET).partition("-")
    assert feed_keys.user_for(session, f"{official.id}-{their_mac}", SECRET) is None


def test_a_key_with_one_character_changed_opens_nothing(session: Session, official: User) -> None:
    key = feed_keys.key_for(official, SECRET)
    last = "A" if key[-1] != "A" else "B"
    assert feed_keys.user_for(session, key[:-1] + last, SECRET) is None
    assert feed_keys.user_for(session, key[:-1], SECRET) is None
    assert feed_keys.user_for(session, key + "A", SECRET) is None


@pytest.mark.parametrize(
    "key",
    [
        "",
        "-",
        "abc",
        "x-abc",
        "0-AAAAAAAAAAAAAAAAAAAAAA",
        "-1-AAAAAAAAAAAAAAAAAAAAAA",
        "99999999999999999999-AAAAAAAAAAAAAAAAAAAAAA",
        "9223372036854775808-AAAAAAAAAAAAAAAAAAAAAA",
        "1-" + "A" * 500,
        "1-ÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄ",
        "１-AAAAAAAAAAAAAAAAAAAAAA",  # a full-width digit: isdigit() but not ASCII
        "²-AAAAAAAAAAAAAAAAAAAAAA",
        "1\x00-AAAAAAAAAAAAAAAAAAAAAA",
    ],
)
def test_malformed_keys_open_nothing_and_never_raise(session: Session, key: str) -> None:
    assert feed_keys.user_for(session, key, SECRET) is None
    assert feed_keys.actor_for(session, key, SECRET) is ANONYMOUS


def test_revoking_voids_the_old_key_and_the_new_one_works(session: Session, official: User) -> None:
    assert official.id is not None
    old = feed_keys.key_for(official, SECRET)
    feed_keys.revoke(session, load_actor(session, official.id))
    session.flush()
    session.refresh(official)
    assert official.feed_key_generation == 1
    new = feed_keys.key_for(official, SECRET)
    assert new != old
    assert feed_keys.user_for(session, old, SECRET) is None
    assert feed_keys.user_for(session, new, SECRET) is official


def test_each_revocation_counts(session: Session, official: User) -> None:
    assert official.id is not None
    actor = load_actor(session, official.id)
    keys = {feed_keys.key_for(official, SECRET)}
    for _ in range(2):
        feed_keys.revoke(session, actor)
        session.refresh(official)
        keys.add(feed_keys.key_for(official, SECRET))
    assert official.feed_key_generation == 2
    assert len(keys) == 3


def test_revoking_one_officials_key_leaves_the_others(session: Session, official: User) -> None:
    assert official.id is not None
    other = make_user(session)
    theirs = feed_keys.key_for(other, SECRET)
    feed_keys.revoke(session, load_actor(session, official.id))
    assert feed_keys.user_for(session, theirs, SECRET) is other


def test_nobody_revokes_without_signing_in(session: Session) -> None:
    with pytest.raises(Unauthenticated):
        feed_keys.revoke(session, ANONYMOUS)


@pytest.mark.parametrize("status", [UserStatus.SUSPENDED, UserStatus.INVITED])
def test_an_official_who_is_not_active_has_no_working_key(
    session: Session, official: User, status: UserStatus
) -> None:
    key = feed_keys.key_for(official, SECRET)
    official.status = status
    session.flush()
    assert feed_keys.user_for(session, key, SECRET) is None
    assert feed_keys.actor_for(session, key, SECRET) is ANONYMOUS
    assert feed_keys.own_key(session, load_actor(session, official.id or 0), SECRET) is None


def test_the_key_reads_as_its_official_with_their_memberships(
    session: Session, official: User
) -> None:
    group = make_group(session)
    make_membership(session, group=group, user=official, role=MemberRole.LEAD)
    actor = feed_keys.actor_for(session, feed_keys.key_for(official, SECRET), SECRET)
    assert actor.user_id == official.id
    assert actor.signed_in
    assert actor.is_lead(group.id)


def test_own_key_is_the_signed_in_officials_current_key(session: Session, official: User) -> None:
    assert official.id is not None
    actor = load_actor(session, official.id)
    assert feed_keys.own_key(session, actor, SECRET) == feed_keys.key_for(official, SECRET)
    assert feed_keys.own_key(session, ANONYMOUS, SECRET) is None


def test_signing_out_everywhere_voids_the_feed_key_a_password_change_keeps_it(
    session: Session, official: User
) -> None:
    """Feed keys are credentials like API tokens: what takes those takes them."""
    assert official.id is not None
    before = feed_keys.key_for(official, SECRET)
    auth.revoke_credentials(session, official.id, api_tokens=False)  # a password change
    session.flush()
    session.refresh(official)
    assert feed_keys.user_for(session, before, SECRET) is official
    auth.sign_out_everywhere(session, load_actor(session, official.id))
    session.flush()
    session.refresh(official)
    assert feed_keys.user_for(session, before, SECRET) is None
    assert feed_keys.user_for(session, feed_keys.key_for(official, SECRET), SECRET) is official
