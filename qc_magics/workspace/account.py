"""The account and its projects: log in, who is connected, list, choose, create; and the doctor's
read-only probe of the service."""
from __future__ import annotations

from typing import Any

from ..records import FrozenRecord, asdict
from .base import Refused, WorkspaceBase


class Identity(FrozenRecord):
    """Who is connected. The token is masked: it is never shown whole."""

    user_id: str
    organization_id: str
    api_url: str
    api_token: str
    credentials_from: str

    def __init__(self, user_id: str, organization_id: str, api_url: str, api_token: str,
                 credentials_from: str):
        self._set(user_id=user_id, organization_id=organization_id, api_url=api_url,
                  api_token=api_token, credentials_from=credentials_from)

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def __str__(self) -> str:
        return (f"user {self.user_id} in organization {self.organization_id} at {self.api_url}, "
                f"token {self.api_token} (from {self.credentials_from})")


class AccountActions(WorkspaceBase):
    def login(self, user_id: str, api_token: str) -> str:
        """Check the credentials against the service, then save them (mode 0600); the path."""
        from ..config import client as connect, save
        if not user_id.strip() or not api_token.strip():
            raise Refused("login needs a user id and an API token")
        client = connect(user_id=user_id.strip(), api_token=api_token.strip(),
                         api_url=self.settings.api_url)
        client.authenticate()
        path = save(client.credentials)
        self.reconnect()
        return str(path)

    def whoami(self) -> Identity:
        c = self.client
        account = c.read_account()
        return Identity(str(c.user_id),
                        str(account.get("organizationId") or c.credentials.organization_id or ""),
                        c.api_url, c.credentials.api_token.masked(), c.credentials.source)

    def projects(self):
        """Your projects, newest first (a DataFrame). Each becomes known by name and id, so
        choosing one of them next costs no request."""
        from ..results import projects_frame
        rows = self.client.list_projects()
        self._learn(rows)
        return projects_frame(self.client, rows)

    def _learn(self, projects: list[dict]) -> None:
        self.forget_projects()   # names from a fresh listing replace what was known
        for project in projects:
            self._remember(project)
        names = [p.get("name") for p in projects]
        for project in projects:   # a name two projects share picks neither
            if names.count(project.get("name")) > 1:
                self._projects.pop(project.get("name"), None)

    def use(self, project: str) -> dict:
        """Make PROJECT the default for every later action; the project as read."""
        self.forget_projects()
        chosen = self.project(project)
        return chosen

    def projects_named(self, name: str) -> list[dict]:
        """The projects called `name` (any case): one listing."""
        wanted = name.strip().lower()
        return [p for p in self.client.list_projects()
                if str(p.get("name", "")).lower() == wanted]

    def new_project(self, name: str, language: str = "Py", *,
                    allow_duplicate: bool = False) -> dict:
        """Create a project; the service's description of it (its name may differ from `name`).
        A second project of a name already taken is refused unless `allow_duplicate`: two of one
        name make every later use of the name ambiguous."""
        if not allow_duplicate:
            same = self.projects_named(name)
            if same:
                ids = ", ".join(str(p["projectId"]) for p in same)
                raise Refused(f"a project named {same[0]['name']!r} exists (id {ids}); "
                              f"allow_duplicate=True creates another")
        created = self.client.create_project(name, language=language)
        self.forget_projects()   # `name` may now be ambiguous
        return created

    def files(self, *, project: str | None = None):
        """The project's files in the cloud (a DataFrame)."""
        from ..results import files_frame
        return files_frame(self.client, self.project(project))

    def doctor(self, *, project: str | None = None, wait: float = 60.0,
               report: str | None = None) -> Any:
        """Check the service's answers against what qc_magics expects (read-only, free)."""
        from ..doctor import probe, write_report
        ref = project or self.settings.project
        result = probe(self.client, ref, wait=wait, poll=self.settings.poll)
        if report:
            result.report_path = str(write_report(result, report))
        return result
