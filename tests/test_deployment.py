"""The container files follow the README's install path and the documented topology."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_dockerfile_installs_with_uv_from_the_lock_and_serves_erfa() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "uv sync --locked" in dockerfile
    assert '"erfa", "serve"' in dockerfile
    assert "USER erfa" in dockerfile


def test_compose_starts_postgresql_redis_and_erfa_workers() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "erfa"}
    erfa = services["erfa"]
    assert erfa["environment"]["ERFA_DATABASE_URL"].startswith("postgresql://")
    assert erfa["environment"]["ERFA_REDIS_URL"].startswith("redis://redis:")
    assert "${ERFA_SECRET_KEY:?" in erfa["environment"]["ERFA_SECRET_KEY"]
    assert erfa["command"][erfa["command"].index("--workers") + 1] != "1"
    assert set(erfa["depends_on"]) == {"postgres", "redis"}
