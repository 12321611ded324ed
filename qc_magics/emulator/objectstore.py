"""The emulated Object Store: objects per organization, the download job-then-URL protocol, and
the download itself, served by the emulator at a pre-signed-style URL that needs no credentials.

What it keeps from the real service (docs/real-service.md, "Object Store"): `/object/get` with
keys answers a `jobId`; with that job id it answers `url: null` until the archive is ready
(`ready_after_reads` reads, 1 by default, or script "loading" on "/object/get"), then a URL on
the emulator's own host; the archive is a zip with one member per key (no leading "/").
Quotas are the free plan's, 50 MB and 1,000 files per organization, settable on `ObjectStore`.

>>> emu.app.object_store.ready_after_reads = 3    # three "not ready" answers per job
>>> emu.app.object_store.quota_bytes = 1_000       # a tiny organization
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import mimetypes
import secrets
import time
import zipfile
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .request import BadRequest, Request, RouteError
from .state import write_json_atomic

if TYPE_CHECKING:
    from .app import App

DOWNLOAD_PATH = "/object-store/download/"
PAGE_SIZE = 100
PREVIEW_CHARS = 100
FREE_BYTES = 50_000_000
FREE_FILES = 1_000
NOT_FOUND = "Object Store key not found: {key}"
FOLDER = "{key} is a folder in the Object Store; properties are for files"
JOB_NOT_FOUND = "Object Store download job not found: {job_id}"
QUOTA = ("Object Store quota exceeded: storing {key!r} ({size:,} bytes) would use {used:,} of the "
         "organization's {cap:,} bytes")
FILES_QUOTA = ("Object Store quota exceeded: the organization's Object Store holds at most "
               "{cap:,} files")


@dataclass
class StoredObject:
    data: bytes
    modified: float
    created: float


@dataclass
class Job:
    organization_id: str
    keys: list[str]
    archive: bytes
    reads: int = 0
    token: str = field(default_factory=lambda: secrets.token_hex(16))


class ObjectStore:
    """Every organization's objects; jobs live in memory (a restart forgets them, as URLs
    expire), objects persist in `state_dir/objectstore.json` when the emulator has one."""

    def __init__(self, state_dir: Path | None = None):
        self.objects: dict[str, dict[str, StoredObject]] = {}
        self.jobs: dict[str, Job] = {}
        self.ready_after_reads = 1
        self.quota_bytes = FREE_BYTES
        self.quota_files = FREE_FILES
        self.downloads: list[dict[str, Any]] = []   # what each download request carried
        self.state_dir = state_dir
        if state_dir and (state_dir / "objectstore.json").exists():
            self._load()

    def of(self, organization_id: str) -> dict[str, StoredObject]:
        return self.objects.setdefault(organization_id, {})

    def save(self) -> None:
        if not self.state_dir:
            return
        self.state_dir.mkdir(parents=True, exist_ok=True)
        data = {org: {k: {"data": base64.b64encode(o.data).decode(), "modified": o.modified,
                          "created": o.created} for k, o in objs.items()}
                for org, objs in self.objects.items()}
        write_json_atomic(self.state_dir / "objectstore.json", data)

    def _load(self) -> None:
        data = json.loads((self.state_dir / "objectstore.json").read_text(encoding="utf-8"))
        self.objects = {org: {k: StoredObject(base64.b64decode(o["data"]), o["modified"],
                                              o["created"]) for k, o in objs.items()}
                        for org, objs in data.items()}


def normal_key(key: str) -> str:
    """Keys are stored without a leading '/': "/Ricardo" and "Ricardo" are one object."""
    return key.lstrip("/")


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1000):03d}Z"


def _mime(key: str) -> str:
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


def _base_url(app: "App") -> str:
    """The emulator as the client reached it (its Host header): the download is served here."""
    host = getattr(app._request, "host", None) or "127.0.0.1"
    return f"http://{host}"


def _organization(app: "App", req: Request) -> str:
    org = req.str("organizationId")
    if org != app.state.organization_id:
        raise RouteError(f"Organization not found: {org} (the emulator has one organization, "
                         f"{app.state.organization_id})")
    return org


def _key(req: Request) -> str:
    key = normal_key(req.str("key"))
    if not key.strip() or ".." in key.split("/"):
        raise RouteError(f"Invalid Object Store key: {req.str('key')!r}")
    return key


# --- routes -------------------------------------------------------------------------------------

def set_object(app: "App", req: Request) -> dict:
    org = _organization(app, req)
    key = _key(req)
    data = req.fields.get("objectData")
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, bytes):
        raise RouteError("Missing required field: objectData")
    store = app.object_store
    objects = store.of(org)
    used = sum(len(o.data) for k, o in objects.items() if k != key) + len(data)
    if used > store.quota_bytes:
        raise RouteError(QUOTA.format(key=key, size=len(data), used=used, cap=store.quota_bytes))
    if key not in objects and len(objects) >= store.quota_files:
        raise RouteError(FILES_QUOTA.format(cap=store.quota_files))
    now = app.now()
    created = objects[key].created if key in objects else now
    objects[key] = StoredObject(data, now, created)
    store.save()
    return {}


def delete_object(app: "App", req: Request) -> dict:
    org = _organization(app, req)
    key = _key(req)
    if app.object_store.of(org).pop(key, None) is None:
        raise RouteError(NOT_FOUND.format(key=req.str("key")))
    app.object_store.save()
    return {}


def properties(app: "App", req: Request) -> dict:
    org = _organization(app, req)
    key = _key(req)
    objects = app.object_store.of(org)
    if key not in objects:
        if any(k.startswith(key + "/") for k in objects):
            raise RouteError(FOLDER.format(key=req.str("key")))
        raise RouteError(NOT_FOUND.format(key=req.str("key")))
    o = objects[key]
    return {"metadata": {
        "key": key, "modified": _iso(o.modified), "created": _iso(o.created),
        "size": len(o.data), "md5": hashlib.md5(o.data).hexdigest(), "mime": _mime(key),
        "preview": o.data[:PREVIEW_CHARS].decode("utf-8", errors="replace"),
    }}


def list_objects(app: "App", req: Request) -> dict:
    """One folder: its files and sub-folders (not their children), 100 a page."""
    org = _organization(app, req)
    raw_path = req.str("path", "/")
    folder = normal_key(raw_path).rstrip("/")
    prefix = folder + "/" if folder else ""
    objects = app.object_store.of(org)
    entries: dict[str, dict[str, Any]] = {}
    for key, o in sorted(objects.items()):
        if not key.startswith(prefix):
            continue
        name, _, rest = key[len(prefix):].partition("/")
        if rest:   # inside a sub-folder: list the folder once, with its total size
            entry = entries.setdefault(prefix + name, {
                "key": prefix + name, "name": name, "modified": _iso(o.modified),
                "mime": "directory", "folder": True, "size": 0})
            entry["size"] += len(o.data)
        else:
            entries[key] = {"key": key, "name": name, "modified": _iso(o.modified),
                            "mime": _mime(key), "folder": False, "size": len(o.data)}
    # A folder that holds nothing answers an empty list, not an error: lean-cli's `object-store
    # list` prints "No objects found at '<key>'" for exactly that answer.
    items = list(entries.values())
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = min(max(req.int("page", 1), 1), pages)
    used = sum(len(o.data) for o in objects.values())
    return {"path": raw_path, "objects": items[(page - 1) * PAGE_SIZE:page * PAGE_SIZE],
            "page": page, "totalPages": pages, "objectStorageUsed": used,
            "objectStorageUsedHuman": f"{used / 1e6:.2f} MB"}


def get_object(app: "App", req: Request) -> dict:
    """With keys: a new job. With jobId: its URL, or null while the archive is "being made"."""
    org = _organization(app, req)
    store = app.object_store
    if req.has("jobId"):
        job = store.jobs.get(req.str("jobId"))
        if job is None or job.organization_id != org:
            raise RouteError(JOB_NOT_FOUND.format(job_id=req.str("jobId")))
        job.reads += 1
        if app.fault() == "loading" or job.reads <= store.ready_after_reads:
            return {"jobId": req.str("jobId"), "url": None}
        return {"jobId": req.str("jobId"), "url": _base_url(app) + DOWNLOAD_PATH + job.token
                + ".zip"}
    keys = [str(k) for k in req.list("keys")]
    if not keys:
        raise RouteError("Missing required field: keys")
    objects = store.of(org)
    missing = [k for k in keys if normal_key(k) not in objects]
    if missing:
        raise RouteError(NOT_FOUND.format(key=", ".join(missing)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for k in dict.fromkeys(normal_key(k) for k in keys):
            z.writestr(k, objects[k].data)
    job_id = "%032x" % secrets.randbits(128)
    store.jobs[job_id] = Job(org, keys, buffer.getvalue())
    return {"jobId": job_id, "url": None}


def download(app: "App", path: str, headers: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
    """The archive behind a job's URL. Like a storage host's pre-signed link it takes no API
    credentials; it records whether any came, so tests can check the client sent none."""
    app.object_store.downloads.append({
        "path": path, "authorization": "authorization" in headers,
        "timestamp": "timestamp" in headers})
    token = path[len(DOWNLOAD_PATH):].removesuffix(".zip")
    for job in app.object_store.jobs.values():
        if job.token == token:
            return 200, job.archive, {"Content-Type": "application/zip"}
    return 404, b"NoSuchKey", {"Content-Type": "text/plain"}


def parse_multipart(content_type: str, raw: bytes) -> dict[str, Any]:
    """A multipart/form-data body as fields; file parts keep their bytes."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw)
    if not message.is_multipart():
        raise BadRequest("The multipart body could not be read")
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        data = part.get_payload(decode=True) or b""
        fields[name] = data if part.get_filename() is not None else data.decode("utf-8")
    return fields


ROUTES = {
    "/object/set": set_object,
    "/object/get": get_object,
    "/object/properties": properties,
    "/object/delete": delete_object,
    "/object/list": list_objects,
}
READ_ONLY = set(ROUTES)   # the routes save the object store themselves; state.json is untouched
