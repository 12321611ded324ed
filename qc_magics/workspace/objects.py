"""The organization's Object Store: list, read (as values), write, delete (store.ObjectStore)."""
from __future__ import annotations

from typing import Any, Callable

from .base import Refused, WorkspaceBase

Waiting = Callable[[str], None]   # told each time a download job is polled ("preparing ...")


class StoreActions(WorkspaceBase):
    def organization(self, given: str | None = None) -> str:
        """The organization given, else the credentials', else the account's (one request):
        people logged in with only a user id and token still have one by default."""
        if given:
            return given
        client = self.client
        org = client.credentials.organization_id or client.read_account().get("organizationId")
        if not org:
            raise Refused(f"{self.prog} store: no organization known; add --organization ORG")
        return str(org)

    def object_store(self, organization: str | None = None, *, on_wait: Waiting | None = None):
        from ..store import ObjectStore
        s = self.settings
        return ObjectStore(self.client, self.organization(organization),
                           progress=on_wait or (lambda message: None),
                           poll_interval=s.poll_interval,
                           timeout=s.timeout if s.timeout is not None else 300.0)

    def store_list(self, path: str = "/", *, organization: str | None = None):
        """Files and folders under PATH (a DataFrame)."""
        from ..results.tables import objects_frame
        return objects_frame(self.object_store(organization).ls(path))

    def store_get(self, key: str, *, allow_pickle: bool = False,
                  organization: str | None = None, on_wait: Waiting | None = None) -> Any:
        """The value under KEY, read by its extension (CSV, Parquet, JSON...)."""
        return self.object_store(organization, on_wait=on_wait).get(key,
                                                                    allow_pickle=allow_pickle)

    def store_get_bytes(self, key: str, *, organization: str | None = None,
                        on_wait: Waiting | None = None) -> bytes:
        return self.object_store(organization, on_wait=on_wait).get_bytes(key)

    def store_put(self, key: str, value: Any, *, organization: str | None = None) -> int:
        """Store VALUE under KEY, encoded by KEY's extension; the bytes stored."""
        return self.object_store(organization).put(key, value)

    def store_properties(self, key: str, *, organization: str | None = None) -> dict:
        return self.object_store(organization).properties(key)

    def store_remove(self, key: str, *, organization: str | None = None) -> None:
        """Delete KEY; the face shows what goes and asks first."""
        self.object_store(organization).rm(key)
