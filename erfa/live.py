"""The process's one watcher of the change feed, which wakes the live pages' streams.

A stream (web/live.py) holds no database session while it waits: it waits on its own
`Subscription`, which the hub wakes. The hub looks at the feed (`domain.live.feed_moves`,
one short read session in the thread pool) and wakes the streams of what changed: a
discussion page's stream (key `("thread", id)`) when the discussion's posts changed, a
group page's (key `("group", id)`) when a discussion's first post in the group did. Each
woken stream then reads for its own reader. The hub looks

- at once after a commit of this process's writing sessions (`after_commit` of the app's
  session factory);
- at once when another process says so through Redis pub/sub (`ERFA_REDIS_URL`): every
  process publishes after its own commits and listens to all the others;
- every `POLL_S` while streams are open and Redis is not there to tell (not configured or
  not answering), and every `SAFETY_POLL_S` otherwise, for writers that publish nothing
  (the console, a transaction that held the fence back).

Notifications are not in the feed. A stream that shows the header's count also follows
its reader (key `("user", id)`), woken when the reader's notifications changed:

- at once after a commit of this process (the read-only sessions' too: opening a
  notification marks it read in a GET) that wrote or read some, as the domain records on
  the session (`notifications.changed_users`);
- at once when another process names the officials through Redis (`users:…` messages);
- at the polls above, by comparing each followed official's unread marks
  (`domain.live.unread_marks`) with the last ones seen: writers that tell nobody.

Redis that stops answering costs one log line; the hub polls meanwhile and listens again
once Redis is back. Nothing else depends on it: pages and posting do not wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

import redis.asyncio as aioredis
import sqlalchemy as sa
from redis.exceptions import RedisError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from domain import live, notifications
from domain.sync import Position

log = logging.getLogger("erfa.live")

CHANNEL = "erfa:live"
MAX_STREAMS = 1000
"""Streams one process holds at most; beyond, a stream is refused (503)."""
POLL_S = 0.25
SAFETY_POLL_S = 2.0
REDIS_RETRY_S = 1.0


class Full(Exception):
    """The process holds as many streams as it may, or is stopping."""


Key = tuple[str, int]
"""What a stream follows: `("thread", thread_id)`, `("group", group_id)` or
`("user", user_id)` (the official's notifications)."""
THREAD = "thread"
GROUP = "group"
USER = "user"
USERS_MESSAGE = "users:"
"""Redis messages `users:<origin>:<id>,<id>…` name officials whose notifications changed."""


class Subscription:
    """One stream's place at the hub: woken when what it follows changed."""

    def __init__(self, hub: LiveHub, keys: tuple[Key, ...]) -> None:
        self.hub = hub
        self.keys: set[Key] = set(keys)
        self._woken = asyncio.Event()
        self._woken_keys: set[Key] = set()
        self.left = False

    def wake(self, key: Key | None = None) -> None:
        """Wake the stream, for `key` (what changed) or for nothing (the hub closes)."""
        if key is not None:
            self._woken_keys.add(key)
        self._woken.set()

    def woken(self) -> set[Key]:
        """What changed since the last call."""
        found, self._woken_keys = self._woken_keys, set()
        return found

    def follow(self, key: Key, marks: live.Marks | None = None, *, since: int = 0) -> None:
        """Follow `key` too, after the stream's first reading. For a `USER` key, `marks`
        are the reader's unread marks that reading saw and `since` the hub's
        `user_changes` before it: a change after the reading wakes the stream at once."""
        self.hub._follow(self, key, marks, since)

    @property
    def closed(self) -> bool:
        return self.hub.closed

    async def wait(self, timeout: float) -> bool:
        """Whether it was woken (or the hub closed) within `timeout` seconds."""
        try:
            await asyncio.wait_for(self._woken.wait(), timeout)
        except TimeoutError:
            return False
        self._woken.clear()
        return True

    def close(self) -> None:
        self.hub._remove(self)


class LiveHub:
    def __init__(
        self,
        *,
        redis_url: str | None = None,
        max_streams: int = MAX_STREAMS,
        poll_s: float = POLL_S,
    ) -> None:
        self.read_factory: sessionmaker[Session] | None = None
        self.redis_url = redis_url
        self.max_streams = max_streams
        self.poll_s = poll_s
        self.safety_poll_s = SAFETY_POLL_S
        self.closed = False
        self.redis_ok = False
        self._redis_down_logged = False
        self._by_key: dict[Key, set[Subscription]] = {}
        self._subscriptions: set[Subscription] = set()
        self._position: Position | None = None
        """Where the next look starts; None while no stream is open (nobody to wake)."""
        self._fresh = asyncio.Lock()
        self._nudged: asyncio.Event | None = None
        self._local = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._publisher: aioredis.Redis | None = None
        self._watched: list[tuple[sessionmaker[Session], Callable[[Session], None]]] = []
        self._starts = 0
        self.user_changes = 0
        """How often officials' notifications were said to have changed, in this process."""
        self._marks: dict[int, live.Marks] = {}
        """The unread marks last seen of each followed official."""
        self._check_marks = False
        self._origin = secrets.token_hex(8)
        self._sending: set[asyncio.Task[None]] = set()

    @property
    def streams(self) -> int:
        return len(self._subscriptions)

    # --- life --------------------------------------------------------------------------

    async def start(
        self, read_factory: sessionmaker[Session], write_factory: sessionmaker[Session]
    ) -> None:
        """Watch through `read_factory`'s sessions; look at once after each commit of
        `write_factory`'s; wake the officials whose notifications either's commit changed."""
        self._starts += 1
        if self._starts > 1:
            return  # one more server of the same app (tests' clients): the hub runs already
        self.read_factory = read_factory
        self.closed = False
        self._loop = asyncio.get_running_loop()
        self._nudged = asyncio.Event()
        self._tasks.append(asyncio.create_task(self._watch(), name="erfa-live-watch"))
        if self.redis_url:
            self._publisher = aioredis.Redis.from_url(self.redis_url, socket_connect_timeout=1)
            self._tasks.append(asyncio.create_task(self._listen(), name="erfa-live-redis"))
        for factory, hook in (
            (write_factory, self._after_commit),
            (read_factory, self._after_read_commit),
        ):
            sa.event.listen(factory, "after_commit", hook)
            self._watched.append((factory, hook))
        _end_streams_on_exit_signal(self)

    def close(self) -> None:
        """End every stream (the server stops); new ones are refused."""
        self.closed = True
        for subscription in self._subscriptions:
            subscription.wake()
        if self._nudged is not None:
            self._nudged.set()

    def close_soon(self) -> None:
        """`close` from any thread, or from a signal handler."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.close)

    async def stop(self) -> None:
        self._starts -= 1
        if self._starts > 0:
            return
        self.close()
        for factory, hook in self._watched:
            sa.event.remove(factory, "after_commit", hook)
        self._watched.clear()
        for task in [*self._tasks, *self._sending]:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._publisher is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._publisher.aclose()
            self._publisher = None
        self._loop = None

    # --- streams -----------------------------------------------------------------------

    async def subscribe(self, *keys: Key) -> Subscription:
        """A place for a stream following `keys`, taken before the stream's first read: a
        change after that read wakes it. `Full` when there is no place."""
        if self._loop is None or self.closed or self.streams >= self.max_streams:
            raise Full()
        subscription = Subscription(self, keys)
        for key in keys:
            self._by_key.setdefault(key, set()).add(subscription)
        self._subscriptions.add(subscription)
        try:
            await self._ensure_position()
        except BaseException:
            subscription.close()
            raise
        return subscription

    def _follow(
        self, subscription: Subscription, key: Key, marks: live.Marks | None, since: int
    ) -> None:
        if subscription.left:
            return
        subscription.keys.add(key)
        self._by_key.setdefault(key, set()).add(subscription)
        if key[0] != USER:
            return
        stale = self.user_changes != since  # told of a change since the stream's reading
        if marks is not None:
            stale = self._marks.setdefault(key[1], marks) != marks or stale
        if stale:
            subscription.wake(key)

    def _remove(self, subscription: Subscription) -> None:
        if subscription.left:
            return
        subscription.left = True
        for key in subscription.keys:
            subscriptions = self._by_key.get(key)
            if subscriptions is None:
                continue
            subscriptions.discard(subscription)
            if not subscriptions:
                del self._by_key[key]
                if key[0] == USER:
                    self._marks.pop(key[1], None)
        self._subscriptions.discard(subscription)
        if not self._subscriptions:
            self._position = None  # nobody to wake: stop following the feed

    async def _ensure_position(self) -> None:
        """Where the hub's looks start, taken after the first stream subscribed and
        before it reads: what commits later wakes it, what committed before it reads."""
        async with self._fresh:
            if self._position is None:
                self._position = await run_in_threadpool(self._read, live.start)
                if self._nudged is not None:
                    self._nudged.set()  # the watcher now has streams: it polls

    # --- watching ----------------------------------------------------------------------

    def _after_commit(self, session: Session) -> None:
        """A writing session of this process committed (in a worker thread)."""
        self._call_soon(self._poke)
        self._after_read_commit(session)

    def _after_read_commit(self, session: Session) -> None:
        """A session of this process committed: whose notifications did it change?"""
        if user_ids := notifications.changed_users(session):
            self._call_soon(lambda: self._users_changed(user_ids, publish=True))

    def _call_soon(self, callback: Callable[[], None]) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(callback)

    def _users_changed(self, user_ids: set[int], *, publish: bool) -> None:
        """Wake the streams that follow these officials' notifications; tell the others."""
        self.user_changes += 1
        for user_id in user_ids:
            key = (USER, user_id)
            for subscription in self._by_key.get(key, ()):
                subscription.wake(key)
        if publish and self._publisher is not None and self.redis_ok and not self.closed:
            task = asyncio.create_task(self._publish_users(user_ids))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    def _poke(self) -> None:
        self._local = True
        if self._nudged is not None:
            self._nudged.set()

    def _nudge(self) -> None:
        if self._nudged is not None:
            self._nudged.set()

    async def _watch(self) -> None:
        assert self._nudged is not None
        while not self.closed:
            timeout = None
            if self._position is not None:
                timeout = self.safety_poll_s if self.redis_ok else self.poll_s
            polled = False
            try:
                await asyncio.wait_for(self._nudged.wait(), timeout)
            except TimeoutError:
                polled = True
            self._nudged.clear()
            local, self._local = self._local, False
            marks, self._check_marks = self._check_marks or polled, False
            if self.closed:
                return
            try:
                if self._position is not None:
                    await self._look()
                    if marks:
                        await self._compare_marks()
            except sa.exc.SQLAlchemyError as exc:
                log.warning("live updates: reading the change feed failed: %s", exc)
                await asyncio.sleep(self.poll_s)
            if local:
                await self._publish()

    async def _look(self) -> None:
        while (position := self._position) is not None:
            moves = await run_in_threadpool(
                self._read, lambda session: live.feed_moves(session, after=position)
            )
            if self._position is None:
                return  # the last stream left meanwhile
            self._position = moves.position
            keys = [(THREAD, thread_id) for thread_id in moves.thread_ids]
            keys += [(GROUP, group_id) for group_id in moves.group_ids]
            for key in keys:
                for subscription in self._by_key.get(key, ()):
                    subscription.wake(key)
            if not moves.has_more:
                return

    async def _compare_marks(self) -> None:
        """Wake the followed officials whose unread marks changed since last seen: what
        writers that tell nobody (another process without Redis, the console) did."""
        user_ids = [key[1] for key in self._by_key if key[0] == USER]
        if not user_ids:
            return
        found: dict[int, live.Marks] = await run_in_threadpool(
            self._read, lambda session: live.unread_marks(session, user_ids)
        )
        changed = set()
        for user_id, marks in found.items():
            if (USER, user_id) not in self._by_key:
                continue  # its last stream left meanwhile
            if self._marks.get(user_id, marks) != marks:
                changed.add(user_id)
            self._marks[user_id] = marks
        if changed:
            self._users_changed(changed, publish=False)

    def _read(self, reading: Callable[[Session], Any]) -> Any:
        assert self.read_factory is not None, "the hub reads once started"
        with self.read_factory() as session:
            return reading(session)

    # --- Redis -------------------------------------------------------------------------

    async def _publish(self) -> None:
        if self._publisher is None or not self.redis_ok:
            return
        position = self._position
        message = f"{position.txid}.{position.seq}" if position is not None else ""
        try:
            await self._publisher.publish(CHANNEL, message)
        except (RedisError, OSError) as exc:
            self._redis_lost(exc)

    async def _publish_users(self, user_ids: set[int]) -> None:
        if self._publisher is None:
            return
        names = ",".join(str(user_id) for user_id in sorted(user_ids))
        try:
            await self._publisher.publish(CHANNEL, f"{USERS_MESSAGE}{self._origin}:{names}")
        except (RedisError, OSError) as exc:
            self._redis_lost(exc)

    def _heard(self, data: object) -> None:
        """A message from a process: officials to wake, or a change in the feed."""
        text = data.decode(errors="replace") if isinstance(data, bytes) else str(data)
        if not text.startswith(USERS_MESSAGE):
            self._nudge()
            return
        origin, _, names = text.removeprefix(USERS_MESSAGE).partition(":")
        if origin == self._origin:
            return  # this process woke its streams at the commit
        user_ids = {int(name) for name in names.split(",") if name.isdigit()}
        if user_ids:
            self._users_changed(user_ids, publish=False)

    async def _listen(self) -> None:
        assert self.redis_url is not None
        while not self.closed:
            client = aioredis.Redis.from_url(self.redis_url, socket_connect_timeout=1)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    self._redis_back()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._heard(message.get("data"))
                    raise RedisError("the subscription ended")
            except (RedisError, OSError) as exc:
                self._redis_lost(exc)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await client.aclose()
            await asyncio.sleep(REDIS_RETRY_S)

    def _redis_back(self) -> None:
        if self._redis_down_logged:
            log.info("live updates: Redis answers again")
        self._redis_down_logged = False
        self.redis_ok = True
        self._check_marks = True
        self._nudge()  # what was published while it was away

    def _redis_lost(self, exc: BaseException) -> None:
        """One log line an outage; the watcher polls until Redis answers again."""
        self.redis_ok = False
        self._check_marks = True
        self._nudge()
        if not self._redis_down_logged:
            self._redis_down_logged = True
            log.warning(
                "live updates: Redis does not answer (%s); polling the change feed every "
                "%s s until it does",
                exc,
                self.poll_s,
            )


def _end_streams_on_exit_signal(hub: LiveHub) -> None:
    """End the streams as soon as the server is told to stop.

    uvicorn waits for open responses before it stops (up to `timeout_graceful_shutdown`)
    and tells the app nothing until they are done, so a stream that only ended at the
    lifespan's end would hold the shutdown for that whole time. The server's own handler
    of SIGTERM and SIGINT is kept and called after the hub closes. Signals reach only the
    main thread: elsewhere (a test's server in a thread) the caller closes the hub.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(signum)
        if not callable(previous):
            continue

        def handler(
            sig: int, frame: FrameType | None, previous: Callable[..., Any] = previous
        ) -> None:
            hub.close_soon()
            previous(sig, frame)

        signal.signal(signum, handler)
