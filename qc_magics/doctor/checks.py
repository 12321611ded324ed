"""The probe: read an account the way qc_magics does, and hold every answer against its shape.

It calls the client's own methods (so the same code paths run as in daily use), records the raw
answer of each through the client's transport, and checks that answer with `shapes`. It only
reads: the recorder refuses any endpoint outside `shapes.READS` before a byte is sent.

>>> result = probe(config.client())
>>> print(result)            # one line per check, then a summary
>>> result.exit_code         # 0 when every check passed
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import QCError
from . import shapes
from .shapes import Shape

PROJECTS_TO_SEARCH = 5   # without --project: the most recently modified projects looked into
SHOWN_PROBLEMS = 5       # per failed check on the screen


@dataclass
class Check:
    """One check's outcome. `problems` and `reason` hold no values (they go into reports);
    `detail` is for the person at the screen only (it may name their project)."""

    name: str
    status: str                    # "ok", "fail" or "skip"
    problems: list[str] = field(default_factory=list)
    reason: str = ""               # why it was skipped, in words without names
    detail: str = ""
    # The raw answer and its shape, for the redacted report. Plain attributes, not fields, so
    # that `qc-magics doctor --json` (which prints the fields) never prints a raw answer.
    answer = None
    shape = None

    def seen(self, answer: Any, shape: Shape) -> "Check":
        self.answer, self.shape = answer, shape
        return self


class ReadOnlyViolation(QCError):
    """The probe tried to call an endpoint that is not a read (a bug in the probe)."""


class Recorder:
    """Wraps a client's transport: keeps the last raw answer, refuses anything but reads."""

    def __init__(self, client: Any):
        self.client = client
        self.last: dict | None = None
        self._post = client.transport.post

    def __enter__(self) -> "Recorder":
        def post(endpoint: str, body: Any = None, **kwargs: Any) -> dict:
            if endpoint not in shapes.READS:
                raise ReadOnlyViolation(f"doctor: refusing to call {endpoint}: it only reads")
            self.last = None
            self.last = self._post(endpoint, body, **kwargs)
            return self.last
        self.client.transport.post = post   # an instance attribute shadows the method
        return self

    def __exit__(self, *exc: Any) -> None:
        del self.client.transport.post


@dataclass
class Diagnosis:
    """Every check of one run, in order, and where it ran."""

    checks: list[Check]
    api_url: str
    seconds: float = 0.0
    report_path: str | None = None

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def count(self, status: str) -> int:
        return sum(c.status == status for c in self.checks)

    def lines(self, ascii_only: bool = False) -> list[str]:
        marks = ({"ok": "ok  ", "fail": "FAIL", "skip": "skip"} if ascii_only
                 else {"ok": "✓", "fail": "✗", "skip": "-"})
        out = []
        for c in self.checks:
            if c.status == "ok":
                text = c.name + (f": {c.detail}" if c.detail else "")
            elif c.status == "skip":
                text = f"{c.name}: skipped: {c.detail or c.reason}"
            else:
                said = c.problems or [c.detail]
                if len(said) > SHOWN_PROBLEMS:   # the report keeps them all
                    said = said[:SHOWN_PROBLEMS] + [f"... and {len(said) - SHOWN_PROBLEMS} more "
                                                    "(--report FILE has them all)"]
                indent = " " * (len(marks["fail"]) + 1)
                text = f"{c.name}: {said[0]}" + "".join(f"\n{indent}{c.name}: {p}"
                                                         for p in said[1:])
            out.append(f"{marks[c.status]} {text}")
        return out

    def summary(self) -> str:
        text = (f"{self.count('ok')} passed, {self.count('fail')} failed, "
                f"{self.count('skip')} skipped against {self.api_url} in {self.seconds:.1f}s")
        if self.report_path:
            text += f"\nReport (field names and types only) written to {self.report_path}"
        elif self.failed:
            text += ("\nThe service answered in a shape qc_magics does not expect. Please attach "
                     "a report to a bug report: qc-magics doctor --report doctor.json (it holds "
                     "field names and types only).")
        return text

    def text(self, ascii_only: bool = False) -> str:
        return "\n".join(self.lines(ascii_only) + [self.summary()])

    def __str__(self) -> str:
        return self.text(ascii_only=not _can_print("✓✗"))

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))


def _can_print(chars: str) -> bool:
    import sys
    try:
        chars.encode(getattr(sys.stdout, "encoding", None) or "ascii")
        return True
    except (UnicodeEncodeError, LookupError):
        return False


class Probe:
    """One run: the checks so far, the recorder, and how long to wait for slow answers."""

    def __init__(self, client: Any, recorder: Recorder, *, wait: float, poll: tuple[float, float],
                 on_check: Callable[[Check], None]):
        self.client = client
        self.recorder = recorder
        self.wait = wait
        self.poll = poll
        self.on_check = on_check
        self.checks: list[Check] = []

    def add(self, check: Check) -> Check:
        self.checks.append(check)
        self.on_check(check)
        return check

    def skip(self, name: str, reason: str, detail: str = "") -> Check:
        return self.add(Check(name, "skip", reason=reason, detail=detail))

    def read(self, name: str, call: Callable[[], Any], shape: Shape, **options: Any
             ) -> tuple[Check, Any]:
        """`fetch`, then record the check."""
        check, value = self.fetch(name, call, shape, **options)
        return self.add(check), value

    def fetch(self, name: str, call: Callable[[], Any], shape: Shape, *,
              pending: Callable[[dict], bool] = lambda answer: False, wait: float | None = None,
              retry_errors: bool = False,
              detail: Callable[[Any], str] = lambda value: "") -> tuple[Check, Any]:
        """Call a client method and check its raw answer; while `pending(answer)` (loading,
        generating), or while it fails when `retry_errors`, ask again until `wait` seconds pass.
        Returns (check, the method's value); the check is not recorded yet."""
        wait = self.wait if wait is None else wait
        started, delay = time.monotonic(), self.poll[0]
        while True:
            late = time.monotonic() - started > wait
            try:
                value = call()
            except QCError as e:
                if retry_errors and not late:
                    value = None
                elif self.recorder.last is not None:
                    # An answer came and the client refused it: say how it differs, then that.
                    answer = self.recorder.last
                    problems = shape.problems(answer) + [
                        f"qc_magics refused the answer ({type(e).__name__})"]
                    return Check(name, "fail", problems, detail=str(e)).seen(answer, shape), None
                else:
                    return Check(name, "fail", [f"the call failed: {type(e).__name__}"],
                                 detail=f"the call failed: {e}"), None
            except Exception as e:   # the client choked on the answer: that is a finding too
                answer = self.recorder.last
                problems = [f"qc_magics could not read the answer ({type(e).__name__})"]
                return Check(name, "fail", problems + shape.problems(answer)).seen(
                    answer, shape), None
            answer = self.recorder.last
            if value is not None or not retry_errors:
                problems = shape.problems(answer)
                if problems or not pending(answer):
                    break
            if late:
                return Check(name, "skip", reason=f"still loading after {wait:g}s"), None
            time.sleep(delay)
            delay = min(self.poll[1], delay * 1.6)
        return Check(name, "fail" if problems else "ok", problems,
                     detail="" if problems else detail(value)).seen(answer, shape), value


def probe(client: Any, project: str | int | None = None, *, wait: float = 60.0,
          poll: tuple[float, float] = (0.5, 5.0),
          on_check: Callable[[Check], None] = lambda check: None) -> Diagnosis:
    """Run every check against the account behind `client` and return the Diagnosis.

    `project` (a name or an id) picks the project to look into; by default the most recently
    modified projects are searched for one with a backtest and one with an optimization.
    `on_check` is called with each check as it ends (progress for the faces).
    """
    started = time.monotonic()
    with Recorder(client) as recorder:
        run = Probe(client, recorder, wait=wait, poll=poll, on_check=on_check)
        _account(run, project)
    return Diagnosis(run.checks, client.api_url, time.monotonic() - started)


def _account(run: Probe, project: str | int | None) -> None:
    from ..errors import AuthenticationError
    c = run.client
    try:
        c.authenticate()
    except AuthenticationError as e:
        run.add(Check("authenticate", "fail", ["the credentials were refused"], detail=str(e)))
        return   # every other call would be refused too
    except QCError as e:
        # Not a refusal: the reads below show whether the credentials work.
        run.add(Check("authenticate", "fail", [f"the call failed: {type(e).__name__}"],
                      detail=f"the call failed: {e}"))
    else:
        problems = shapes.AUTHENTICATE.problems(run.recorder.last)
        run.add(Check("authenticate", "fail" if problems else "ok", problems).seen(
            run.recorder.last, shapes.AUTHENTICATE))
    run.read("account/read", c.read_account, shapes.ACCOUNT)
    check, projects = run.read("projects/read", c.list_projects, shapes.PROJECT_LIST,
                               detail=lambda v: f"{len(v)} projects")
    # A divergence is reported and the probe goes on with what can still be used.
    candidates = _candidates(run, usable(projects, "projectId") or [], project)
    if candidates is None:
        return
    if not candidates:
        for name in ("files/read", "backtests/list", "optimizations/list"):
            run.skip(name, "no project in the account")
        return
    from .results import check_backtests, check_optimizations
    first = candidates[0]
    run.read("files/read", lambda: c.read_files(first["projectId"]), shapes.FILES,
             detail=lambda v: f"{len(v)} files of project {first['name']!r}")
    check_backtests(run, candidates)
    check_optimizations(run, candidates)


def usable(items: Any, key: str) -> list[dict] | None:
    """The items of a list answer that can be followed further (objects with `key`)."""
    if not isinstance(items, list):
        return None
    return [i for i in items if isinstance(i, dict) and i.get(key) is not None]


def _candidates(run: Probe, projects: list[dict], wanted: str | int | None) -> list[dict] | None:
    """The projects to look into: the one asked for, else the most recently modified ones."""
    if wanted is not None:
        from ..api.lookup import find_project
        try:
            return [find_project(run.client, wanted)]
        except QCError as e:
            run.add(Check("project", "fail", ["the project asked for was not found"],
                          detail=str(e)))
            return None
    usable = [p for p in projects if not str(p.get("name", "")).startswith("Recycle Bin/")]
    usable.sort(key=lambda p: str(p.get("modified") or ""), reverse=True)
    return usable[:PROJECTS_TO_SEARCH]
