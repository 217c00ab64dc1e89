"""Requests erfa makes to the outside: bounded in time as a whole, not per read."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from domain.errors import Invalid
from erfa import outbound
from tests.ports import free_port


@contextmanager
def dribbling_receiver() -> Iterator[int]:
    """A receiver that answers one byte every 0.2 s, for ever: each read succeeds in time,
    so only a deadline on the whole attempt ends it."""
    port = free_port()
    server = socket.create_server(("127.0.0.1", port))
    stop = threading.Event()

    def serve() -> None:
        connection, _ = server.accept()
        with connection:
            connection.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 10_000:
                if stop.is_set():
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(0.2)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        stop.set()
        server.close()
        thread.join(timeout=5)


def test_a_receiver_that_dribbles_its_answer_is_cut_off_at_the_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(outbound, "TIMEOUT_S", 1.0)
    with dribbling_receiver() as port:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            outbound.post(f"http://127.0.0.1:{port}/hook", b"{}", {}, allow_private=True)
        took = time.monotonic() - started
    assert took < 3, f"the attempt took {took:.1f} s"


def test_a_private_target_is_refused_before_any_connection() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(0.5)
        port = server.getsockname()[1]
        with pytest.raises(Invalid):
            outbound.post(f"http://127.0.0.1:{port}/", b"{}", {}, allow_private=False)
        with pytest.raises(TimeoutError):
            server.accept()  # nobody came
