"""Requests erfa makes to the outside (webhook deliveries), to an address checked first.

The host is resolved once, every address is checked (`domain.webhooks.resolve`), and the
connection goes to that checked address: a name that resolves to a public address for the
check and to a private one for the request (DNS rebinding) cannot slip through. TLS still
verifies the certificate against the host name. Redirects are not followed: a receiver
answers 2xx or the attempt failed.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from domain import webhooks

TIMEOUT_S = 10.0
"""The whole attempt, from connecting to the last byte read, not each socket operation:
a receiver that dribbles its answer is cut off."""
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
    """POST `body` to `url` within TIMEOUT_S. Raises Invalid for a refused target and
    OSError (or http.client.HTTPException) when the receiver cannot be reached in time or
    answers garbage. The host's checked addresses are tried in the resolver's order."""
    scheme, host, port = webhooks.check_url(url)
    addresses = webhooks.resolve(url, allow_private=allow_private)
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    deadline = time.monotonic() + TIMEOUT_S
    failure: Exception = OSError(f"no address of {host} answered")
    for address in addresses:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        connection_class = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
        connection = connection_class(host, port, address, left)
        try:
            connection.connect()
        except OSError as exc:
            failure = exc
            connection.close()
            continue
        return _exchange(connection, target, body, headers, deadline)
    raise failure


def _exchange(
    connection: http.client.HTTPConnection,
    target: str,
    body: bytes,
    headers: dict[str, str],
    deadline: float,
) -> Response:
    """Send and read the answer; at the deadline the socket is shut, which ends any read
    that is still waiting."""
    sock = connection.sock
    timer = threading.Timer(max(deadline - time.monotonic(), 0), _shut, args=(sock,))
    timer.start()
    try:
        connection.request(
            "POST",
            target,
            body=body,
            headers={**headers, "Content-Type": "application/json", "User-Agent": USER_AGENT},
        )
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        if time.monotonic() >= deadline:
            raise TimeoutError(f"no complete answer within {TIMEOUT_S:g} s")
        return Response(response.status)
    except (OSError, http.client.HTTPException) as exc:
        if time.monotonic() >= deadline:
            raise TimeoutError(f"no complete answer within {TIMEOUT_S:g} s") from exc
        raise
    finally:
        timer.cancel()
        connection.close()


def _shut(sock: socket.socket | None) -> None:
    if sock is None:
        return
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
