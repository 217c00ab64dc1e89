"""Invitations go out through a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from erfa.cli import app
from tests.ports import free_port
from tests.smtp import Inbox


@pytest.fixture
def env(fresh_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERFA_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("ERFA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ERFA_BASE_URL", "https://erfa.example.se")
    monkeypatch.chdir(tmp_path)


INVITE = [
    "user",
    "create",
    "--email",
    "eva@hedemora.se",
    "--name",
    "Eva Holm",
    "--municipality",
    "hedemora",
]


@pytest.mark.usefixtures("env")
def test_an_invitation_is_sent_through_smtp(
    smtp_server: tuple[str, Inbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, inbox = smtp_server
    monkeypatch.setenv("ERFA_SMTP_URL", url)

    result = CliRunner().invoke(app, INVITE)

    assert result.exit_code == 0, result.output
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "eva@hedemora.se"
    assert message["From"] == "erfa <no-reply@erfa.example.se>"
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    text = body.decode()
    assert "Hej Eva Holm!" in text
    assert "https://erfa.example.se/invitations/" in text


@pytest.mark.usefixtures("env")
def test_an_unreachable_mail_server_is_one_line_and_the_official_is_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ERFA_SMTP_URL", f"smtp://127.0.0.1:{free_port()}")  # nobody listens

    result = CliRunner().invoke(app, INVITE)

    assert result.exit_code == 1
    assert "saved, but mail could not be sent: invitation to eva@hedemora.se" in result.output
    assert "Traceback" not in result.output
    listed = CliRunner().invoke(app, ["user", "list"])
    assert "eva@hedemora.se\tEva Holm\thedemora\tinvited" in listed.output
