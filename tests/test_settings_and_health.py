from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from erfa.app import create_app
from erfa.settings import Settings


def make(tmp_path: Path, **values: object) -> Settings:
    return Settings(data_dir=tmp_path, _env_file=None, **values)  # type: ignore[call-arg]


def test_secret_key_is_generated_once_owner_only_and_kept(tmp_path: Path) -> None:
    first = make(tmp_path)
    key_file = tmp_path / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert len(first.secret_key) >= 32
    assert make(tmp_path).secret_key == first.secret_key
    assert make(tmp_path / "other").secret_key != first.secret_key


def test_secret_key_and_jwt_secret_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERFA_SECRET_KEY", "x" * 40)
    settings = make(tmp_path)
    assert settings.secret_key == "x" * 40
    assert not (tmp_path / "secret_key").exists()
    assert settings.jwt_secret != settings.secret_key
    assert len(settings.jwt_secret) >= 32
    monkeypatch.setenv("ERFA_JWT_SECRET", "j" * 40)
    assert make(tmp_path).jwt_secret == "j" * 40


def test_defaults_put_everything_in_the_data_folder(tmp_path: Path) -> None:
    settings = make(tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path}/erfa.db"
    assert settings.uploads == tmp_path / "uploads"
    assert settings.max_upload_mb == 20
    assert settings.min_post_interval_s == 3


def test_a_postgresql_url_uses_psycopg_3(tmp_path: Path) -> None:
    url = make(tmp_path, database_url="postgresql://u@h/db").database_url
    assert url == "postgresql+psycopg://u@h/db"


def test_healthz_reports_a_reachable_database(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database_as_503(tmp_path: Path) -> None:
    settings = make(tmp_path, database_url="postgresql://nobody@127.0.0.1:1/nothing")
    with TestClient(create_app(settings)) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_an_empty_or_short_key_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("\n")
    with pytest.raises(ValueError, match="fewer than 32 characters"):
        make(tmp_path)


def test_a_short_secret_key_from_the_environment_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ERFA_SECRET_KEY holds fewer than 32"):
        make(tmp_path, secret_key="too short")
    with pytest.raises(ValueError, match="ERFA_JWT_SECRET holds fewer than 32"):
        make(tmp_path, jwt_secret="too short")


def test_processes_starting_together_share_one_whole_key(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: make(tmp_path).secret_key, range(32)))
    assert len(keys) == 1
    assert len(keys.pop()) >= 32
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]
