"""Many requests out at once on keep-alive connections, from one thread (Pool.exchange)."""
from __future__ import annotations

import selectors
import time
from collections import deque
from typing import TYPE_CHECKING, Callable

from .http1 import Connection, ReadTimeout, Response, WireError

if TYPE_CHECKING:
    from .wire import Pool, Sign


class Exchange:
    """Many requests out at once on keep-alive connections, from one thread: iterated, it gives
    (position, answer) as answers come, in any order; an answer is a Response, or the WireError
    the request met (an unexpected failure as a WireError naming its type, never its words,
    which may quote a header). None is sent twice. `pump()` between pieces of the caller's own
    work reads what has come and sends more requests in its place, so that the connections do
    not wait on that work. Connections still waiting when it is closed are closed too.

    Why one thread waiting on many connections rather than a thread per request: a read of
    1,000 windows of orders over 16 threads spent 0.6 s of its CPU on the threads taking turns
    with the interpreter lock (benchmarks/results.py). An answer is read whole once its first
    bytes come; meanwhile the others' bytes collect in the system's buffers.
    """

    def __init__(self, pool: Pool, key: tuple, method: str, target: str, bodies: list[bytes],
                 headers: tuple[tuple[str, str], ...], sign: Sign | None, width: int):
        self._pool, self._key, self._method, self._target = pool, key, method, target
        self._bodies, self._headers, self._sign, self._width = bodies, headers, sign, width
        self._pending = list(range(len(bodies) - 1, -1, -1))   # popped from the end: in order
        self._waiting: dict[Connection, tuple[int, float]] = {}   # conn: (position, deadline)
        self._came: deque[tuple[int, Response | WireError]] = deque()
        self._selector: selectors.BaseSelector | None = selectors.DefaultSelector()

    def __iter__(self) -> "Exchange":
        return self

    def __next__(self) -> tuple[int, Response | WireError]:
        while not self._came:
            if not (self._pending or self._waiting) or self._selector is None:
                self.close()
                raise StopIteration
            self._step(wait=True)
        return self._came.popleft()

    def pump(self) -> None:
        """Read the answers that have come and send more requests in their place; no wait."""
        if self._waiting and self._selector is not None:
            self._step(wait=False)

    def close(self) -> None:
        if self._selector is None:
            return
        for conn in self._waiting:   # not read: the connection's state is unknown
            conn.close()
        self._waiting.clear()
        self._selector.close()
        self._selector = None
        slot = self._pool._slot(self._key)
        for _ in range(self._width):
            slot.release()

    def __enter__(self) -> "Exchange":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _step(self, wait: bool) -> None:
        self._send_more()
        if not self._waiting or (wait and self._came):
            return
        timeout = 0.0
        if wait:
            first = min(deadline for _, deadline in self._waiting.values())
            timeout = max(0.0, first - time.monotonic())
        ready = self._selector.select(timeout)
        for event, _ in ready:
            self._selector.unregister(event.fileobj)
            index, _ = self._waiting.pop(event.data)
            self._came.append((index, self._attempt(self._pool._receive, self._key, event.data,
                                                    self._method)))
        if wait and not ready:   # nothing came within the read timeout of the oldest
            now = time.monotonic()
            for conn, (index, deadline) in list(self._waiting.items()):
                if deadline <= now:
                    self._selector.unregister(conn.sock)
                    del self._waiting[conn]
                    conn.close()
                    self._came.append((index, ReadTimeout("read timeout")))
        self._send_more()

    def _send_more(self) -> None:
        """Keep `width` requests out."""
        while self._pending and len(self._waiting) < self._width:
            index = self._pending.pop()
            conn = self._attempt(self._pool._send, self._key, self._method, self._target,
                                 self._bodies[index], self._headers, self._sign)
            if isinstance(conn, WireError):
                self._came.append((index, conn))
                continue
            self._selector.register(conn.sock, selectors.EVENT_READ, conn)
            self._waiting[conn] = (index, time.monotonic() + self._pool.read_timeout)

    @staticmethod
    def _attempt(step: Callable, *args):
        """step(*args), or the WireError it failed with (a new one for any other failure)."""
        try:
            return step(*args)
        except WireError as e:
            return e
        except Exception as e:   # noqa: BLE001 - its words may quote a header: its type only
            return WireError(type(e).__name__)
