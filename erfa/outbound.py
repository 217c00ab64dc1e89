"""Requests erfa makes to the outside (webhook deliveries), to an address checked first.

The host is resolved once, every address is checked (`domain.webhooks.resolve`), and the
connection goes to that checked address: a name that resolves to a public address for the
check and to a private one for the request (DNS rebinding) cannot slip through. TLS still
verifies the certificate against the host name. Redirects are not followed: a receiver
answers 2xx or the attempt failed.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from domain import webhooks

TIMEOUT_S = 10.0
MAX_RESPONSE_BYTES = 4096
USER_AGENT = "erfa-webhooks/1"


@dataclass(frozen=True)
class Response:
    status: int


class _PinnedHTTPS(http.client.HTTPSConnection):
    """An HTTPS connection to a fixed address that verifies the certificate of `host`."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post(url: str, body: bytes, headers: dict[str, str], *, allow_private: bool) -> Response:
    """POST `body` to `url`. Raises Invalid for a refused target and OSError (or
    http.client.HTTPException) when the receiver cannot be reached or answers garbage."""
    scheme, host, port = webhooks.check_url(url)
    address = webhooks.resolve(url, allow_private=allow_private)[0]
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection_class = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    connection = connection_class(host, port, address, TIMEOUT_S)
    try:
        connection.request(
            "POST",
            target,
            body=body,
            headers={
                **headers,
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
            },
        )
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        return Response(response.status)
    finally:
        connection.close()
