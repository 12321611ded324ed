"""Endpoints for compiling a project and for its backtests and their results."""
from __future__ import annotations

from contextlib import closing
from typing import Any, Callable, Iterable, Mapping

from ..errors import InvalidArgument, MalformedResponse
from ..vocabulary import CONCURRENCY
from .answers import identified, listing, payload, strip_envelope
from .base import Endpoints, need_id, need_name, need_project_id, need_window

LOG_WINDOW = 200   # /backtests/read/log: end - start <= 200 (docs, Lean's and lean-cli's clients)


class BacktestEndpoints(Endpoints):
    # --- compile --------------------------------------------------------------------------------
    def create_compile(self, project_id: int) -> dict[str, Any]:
        """Start compiling the project; returns {compileId, state, parameters, ...}."""
        return _compile(self._post("/compile/create", {"projectId": need_project_id(project_id)},
                                   idempotent=False), "/compile/create")

    def read_compile(self, project_id: int, compile_id: str) -> dict[str, Any]:
        """{compileId, state: InQueue|BuildSuccess|BuildError, logs}."""
        return _compile(self._post("/compile/read", {
            "projectId": need_project_id(project_id),
            "compileId": need_id(compile_id, "compile id")}), "/compile/read")

    # --- backtests ------------------------------------------------------------------------------
    def create_backtest(self, project_id: int, compile_id: str, name: str,
                        parameters: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Start a backtest of a compiled project; returns the new backtest (its id first of all).

        Parameter values must be strings or numbers, as the API takes them.
        """
        params = dict(parameters or {})
        for key, value in params.items():
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise InvalidArgument(f"backtest parameter {key!r} must be a string or a number, "
                                      f"not {type(value).__name__}")
        data = self._post("/backtests/create", {
            "projectId": need_project_id(project_id), "compileId": need_id(compile_id, "compile id"),
            "backtestName": need_name(name, "backtest name"), "parameters": params or None,
        }, idempotent=False)
        return identified(payload(data, "backtest", "/backtests/create"), "backtestId",
                          "/backtests/create")

    def read_backtest(self, project_id: int, backtest_id: str) -> dict[str, Any]:
        data = self._post("/backtests/read", {"projectId": need_project_id(project_id),
                                              "backtestId": need_id(backtest_id, "backtest id")})
        return payload(data, "backtest", "/backtests/read")

    def list_backtests(self, project_id: int, include_statistics: bool = True) -> list[dict]:
        """Summaries of every backtest of the project, with numeric statistics when asked."""
        data = self._post("/backtests/list", {"projectId": need_project_id(project_id),
                                              "includeStatistics": bool(include_statistics)})
        return listing(data, "backtests", "/backtests/list")

    def update_backtest(self, project_id: int, backtest_id: str, name: str | None = None,
                        note: str | None = None) -> None:
        if name is None and note is None:
            raise InvalidArgument("update_backtest needs a new name or a note")
        self._post("/backtests/update", {"projectId": need_project_id(project_id),
                                         "backtestId": need_id(backtest_id, "backtest id"),
                                         "name": name, "note": note})

    def delete_backtest(self, project_id: int, backtest_id: str) -> None:
        self._post("/backtests/delete", {"projectId": need_project_id(project_id),
                                         "backtestId": need_id(backtest_id, "backtest id")})

    def read_backtest_chart(self, project_id: int, backtest_id: str, name: str, *,
                            start: int, end: int, count: int) -> dict[str, Any]:
        """One chart over [start, end] (unix seconds) with up to `count` points per series.

        Returns {"chart": {...}} when ready, or {"status": "loading", "progress": p} while the
        service prepares it: the caller decides how long to wait.
        """
        if count <= 0 or end < start:
            raise InvalidArgument(f"need count > 0 and start <= end, got count={count}, "
                                  f"start={start}, end={end}")
        return strip_envelope(self._post("/backtests/chart/read", {
            "projectId": need_project_id(project_id),
            "backtestId": need_id(backtest_id, "backtest id"), "name": need_name(name, "chart name"),
            "start": int(start), "end": int(end), "count": int(count)}))

    def read_backtest_orders(self, project_id: int, backtest_id: str, start: int = 0,
                             end: int = 100, *,
                             decode: Callable[[bytes], dict | None] | None = None
                             ) -> dict[str, Any]:
        """Orders of the window start..end (end - start <= 100; whether `end` is inclusive is not
        documented, results/windows.py stitches either way) and `length`, the backtest's order count.

        `decode` reads a successful answer's bytes into what is returned instead (see
        Transport.post; results/order_rows.py reads just what the orders frame needs)."""
        start, end = need_window(start, end)
        return strip_envelope(self._post("/backtests/orders/read", {
            "projectId": need_project_id(project_id),
            "backtestId": need_id(backtest_id, "backtest id"), "start": start, "end": end},
            decode=decode))

    def read_backtest_orders_windows(self, project_id: int, backtest_id: str,
                                     windows: Iterable[tuple[int, int]], *,
                                     concurrency: int = CONCURRENCY,
                                     decode: Callable[[bytes], dict | None] | None = None,
                                     each: Callable[[dict[str, Any]], None] | None = None
                                     ) -> list[dict[str, Any]]:
        """read_backtest_orders for each (start, end) window, up to `concurrency` requests out
        at once from this thread (Transport.post_many); the answers in order. With `each`,
        every answer is handed to it as it comes, in order, and not kept (the list is empty);
        `each` must not make requests through this client meanwhile (the requests out may
        hold every connection of its pool). Every window is checked before any request.

        >>> answers = client.read_backtest_orders_windows(pid, bid, [(0, 100), (100, 200)])
        """
        return self._windows("/backtests/orders/read", project_id, backtest_id, windows,
                             concurrency, decode, each)

    def read_backtest_insights_windows(self, project_id: int, backtest_id: str,
                                       windows: Iterable[tuple[int, int]], *,
                                       concurrency: int = CONCURRENCY,
                                       each: Callable[[dict[str, Any]], None] | None = None
                                       ) -> list[dict[str, Any]]:
        """read_backtest_insights for each (start, end) window, as read_backtest_orders_windows."""
        return self._windows("/backtests/read/insights", project_id, backtest_id, windows,
                             concurrency, None, each)

    def _windows(self, endpoint: str, project_id: int, backtest_id: str,
                 windows: Iterable[tuple[int, int]], concurrency: int,
                 decode: Callable[[bytes], dict | None] | None,
                 each: Callable[[dict[str, Any]], None] | None) -> list[dict[str, Any]]:
        project_id = need_project_id(project_id)
        backtest_id = need_id(backtest_id, "backtest id")
        bodies = [{"projectId": project_id, "backtestId": backtest_id, "start": start,
                   "end": end} for start, end in (need_window(s, e) for s, e in windows)]
        kept: list[dict[str, Any]] = []
        each = each or kept.append
        # Closed however the loop ends (`each` may raise): an exchange left open would keep
        # its connections, and every later request would wait for one.
        with closing(self.transport.post_many(endpoint, bodies, concurrency=concurrency,
                                              decode=decode)) as answers:
            for answer in answers:
                each(strip_envelope(answer))
        return kept

    def read_backtest_insights(self, project_id: int, backtest_id: str, start: int = 0,
                               end: int = 100) -> dict[str, Any]:
        """Insights of the window start..end (end - start <= 100; whether `end` is inclusive is not
        documented, results/windows.py stitches either way) and `length`, the backtest's insight count."""
        start, end = need_window(start, end)
        return strip_envelope(self._post("/backtests/read/insights", {
            "projectId": need_project_id(project_id),
            "backtestId": need_id(backtest_id, "backtest id"), "start": start, "end": end}))

    def read_backtest_log(self, project_id: int, backtest_id: str, start: int = 0,
                          end: int = LOG_WINDOW, query: str | None = None) -> dict[str, Any]:
        """Log lines [start, end) (end - start <= 200) and `length`, how many lines there are.

        `query` is a case-insensitive keyword: then start/end index the matching lines and
        `length` counts them. Not in the OpenAPI spec; see docs/backtest-logs-facts.md.
        >>> client.read_backtest_log(pid, bid, 0, 200)["logs"][0]
        '2020-01-02 09:31:00 SPY price 321.45 holding 12'
        """
        if not (isinstance(start, int) and isinstance(end, int)) or start < 0 or end <= start:
            raise InvalidArgument(f"need 0 <= start < end, got start={start!r}, end={end!r}")
        if end - start > LOG_WINDOW:
            raise InvalidArgument(f"end - start must be at most {LOG_WINDOW} log lines (got "
                                  f"{end - start}); read in windows of {LOG_WINDOW}")
        # No keyword goes as " ", what lean-cli sends to read every line: the docs mark the field
        # required (null or "" for all lines), and " " reads all lines under either reading.
        return strip_envelope(self._post("/backtests/read/log", {
            "projectId": need_project_id(project_id),
            "backtestId": need_id(backtest_id, "backtest id"), "start": start, "end": end,
            "query": query if query and query.strip() else " "}))

    def read_backtest_report(self, project_id: int, backtest_id: str) -> dict[str, Any]:
        """{"report": html} when ready, or {"generating": True} while it is being made."""
        return strip_envelope(self._post("/backtests/read/report", {
            "projectId": need_project_id(project_id),
            "backtestId": need_id(backtest_id, "backtest id")}))


def _compile(data: dict, endpoint: str) -> dict[str, Any]:
    """A compile answer (its fields sit at the top level); MalformedResponse without an id."""
    answer = strip_envelope(data)
    if not isinstance(answer.get("compileId"), str) or not answer.get("state"):
        raise MalformedResponse(f"{endpoint}: the answer has no compileId and state",
                                endpoint=endpoint)
    return answer
