"""The cost of checking credentials: a password (argon2id), an access token (JWT), an API token.

    uv run python bench/auth.py [--rounds 200]

Password and JWT checks are timed in-process on the real functions. The API-token check
includes its database look-up (SQLite, in a temporary folder).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from api.auth import issue_access_token, verify_access_token
from domain import auth
from domain.actor import load_actor
from domain.passwords import hash_password, verify_password
from erfa import db
from erfa.settings import Settings
from models import Scope, User


def timed(action: Callable[[], object], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def row(label: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"| {label} | {len(samples)} | {statistics.median(samples) * 1e3:.3f} ms "
        f"| {p99 * 1e3:.3f} ms |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory(prefix="erfa-bench-") as tmp:
        settings = Settings(data_dir=Path(tmp), _env_file=None)  # type: ignore[call-arg]
        engine = db.engine_from_settings(settings)
        db.upgrade(engine)
        factory = db.make_session_factory(engine)
        with db.session_scope(factory) as session:
            user = User(
                email="bench@avesta.se",
                handle="bench",
                name="Bench",
                municipality_id=1,
                password_hash=hash_password("a long bench password"),
            )
            session.add(user)
            session.flush()
            assert user.id is not None
            user_id, password_hash = user.id, user.password_hash
            actor = load_actor(session, user_id)
            secret = auth.create_api_token(session, actor, name="b", scopes=[Scope.READ]).secret
        token = issue_access_token(settings, user_id)

        def check_token() -> None:
            with factory() as session:
                found = auth.find_api_token(session, secret)
                assert found is not None
                load_actor(session, found.user_id)

        def check_jwt() -> None:
            with factory() as session:
                load_actor(session, verify_access_token(settings, token))

        results = [
            row(
                "password check (argon2id verify)",
                timed(lambda: verify_password(password_hash, "a long bench password"), 30),
            ),
            row(
                "JWT check (signature and claims only)",
                timed(lambda: verify_access_token(settings, token), rounds * 10),
            ),
            row("JWT check + loading the official", timed(check_jwt, rounds)),
            row("API token check + loading the official", timed(check_token, rounds)),
        ]
        engine.dispose()
    print("| check | runs | median | p99 |")
    print("| --- | --- | --- | --- |")
    print("\n".join(results))


if __name__ == "__main__":
    main()
