"""The organization's Object Store: list, properties, download (job, then URL), upload, delete.

Facts this follows (sources in docs/real-service.md, "Object Store"):
- `/object/get` with `keys` starts a download job and answers `jobId` (lean-cli also accepts a
  `url` in that first answer); the same endpoint with `jobId` answers `url`, null until the
  archive is ready. The archive is a zip of the objects (lean-cli unzips it with `ZipFile`).
- The URL is a pre-signed link: it is fetched with a plain GET, without our Authorization and
  Timestamp headers (they would go to a storage host that has no business seeing them).
- `/object/set` is the one multipart/form-data endpoint: fields organizationId, key, and the file
  part `objectData`.
- Storage is per organization: 50 MB and 1,000 files free, plans up to 50 GB and 500,000 files.

>>> client = config.client()
>>> client.set_object(None, "results/run1.csv", b"a,b\\n1,2\\n")
>>> client.get_objects(None, ["results/run1.csv"])
{'results/run1.csv': b'a,b\\n1,2\\n'}
"""
from __future__ import annotations

import io
import time
from typing import Any, Callable, Iterable

from ..errors import (ApiError, AuthenticationError, InvalidArgument, MalformedResponse, QCError,
                      TransportError)
from .answers import (auth_message, classify, errors_of, is_auth_failure, listing, payload,
                      strip_envelope)
from .base import Endpoints, need_id

# The largest storage plan QuantConnect sells (50 GB): no single object can be larger. Smaller
# plans refuse smaller objects; the service says so and ObjectStoreFull carries its words.
MAX_OBJECT_BYTES = 50 * 1000 ** 3
PLAN_LIMITS = ("free: 50 MB and 1,000 files per organization; plans: 2 GB/20,000 files, "
               "5 GB/50,000, 10 GB/100,000, 50 GB/500,000")
# Phrases of a refusal for space (the emulator's wording and the plain words a service uses).
_FULL_MARKERS = ("quota", "storage limit", "exceed", "too large")
_NOT_PERMITTED_MARKER = "derivative export"

Progress = Callable[[str], None]


class ObjectTooLarge(InvalidArgument):
    """An upload larger than the client's limit; refused before anything was sent."""


class ObjectStoreFull(ApiError):
    """The service refused an upload for the organization's storage quota; nothing changed."""


class DownloadNotPermitted(ApiError):
    """The organization may not download from its Object Store (Institution tier only)."""


class DownloadTimeout(QCError):
    """The download archive was not ready in time; the job goes on, `job_id` names it."""

    def __init__(self, message: str, job_id: str):
        self.job_id = job_id
        super().__init__(message)


class DownloadInterrupted(DownloadTimeout):
    """Ctrl-C while waiting for the archive; the job goes on, `job_id` resumes it."""


def need_key(key: Any) -> str:
    """An Object Store key, checked before any request.

    Keys are paths ("models/rf.pkl", "/Ricardo" as in Lean's own tests). Refused: empty or
    blank, a trailing "/" (that names a folder), control characters, backslashes and ".."
    segments, because the download is a zip that lean-cli extracts into a folder: a ".." member
    would be written outside it.

    >>> need_key("results/run1.csv")
    'results/run1.csv'
    """
    if not isinstance(key, str) or not key.strip():
        raise InvalidArgument(f"an Object Store key must be a non-empty string, not {key!r}")
    if any(ord(c) < 32 or c == "\x7f" for c in key):
        raise InvalidArgument(f"Object Store key {key!r} has a control character; use printable "
                              "characters")
    if "\\" in key:
        raise InvalidArgument(f"Object Store key {key!r} has a backslash; separate folders "
                              "with '/'")
    if key.endswith("/"):
        raise InvalidArgument(f"Object Store key {key!r} ends with '/', which names a folder; "
                              "give a file's key")
    if any(part == ".." for part in key.split("/")):
        raise InvalidArgument(f"Object Store key {key!r} has a '..' segment; keys cannot "
                              "climb out of a folder")
    return key


def archive_name(key: str) -> str:
    """The name a key has inside the download archive (zip members have no leading '/')."""
    return key.lstrip("/")


class ObjectStoreEndpoints(Endpoints):
    """The `/object/*` endpoints, mixed into QCClient. `organization_id=None` means the
    credentials' organization."""

    def _organization(self, organization_id: str | None) -> str:
        if organization_id is None:
            organization_id = self.credentials.organization_id
            if not organization_id:
                raise InvalidArgument("no organization id: pass organization_id, or set "
                                      "QC_ORGANIZATION_ID (or `qc-magics login "
                                      "--organization`)")
        return need_id(organization_id, "organization id")

    def list_objects(self, organization_id: str | None = None, path: str = "/"
                     ) -> dict[str, Any]:
        """One folder of the Object Store: {path, objects: [{key, name, modified, mime, folder,
        size}], objectStorageUsed, objectStorageUsedHuman}; every page read, in order.

        >>> [o["key"] for o in client.list_objects(None, "results")["objects"]]
        """
        org = self._organization(organization_id)
        if not isinstance(path, str):
            raise InvalidArgument(f"an Object Store path must be a string, not {path!r}")
        body: dict[str, Any] = {"organizationId": org, "path": path or "/"}
        data = self._object_post("/object/list", body)
        objects = list(listing(data, "objects", "/object/list"))
        page, pages = data.get("page"), data.get("totalPages")
        # `page` as a request field is not in the spec: sent only when the answer says there
        # are more pages, so a one-page folder costs one request whatever the service accepts.
        while isinstance(page, int) and isinstance(pages, int) and page < pages:
            more = self._object_post("/object/list", {**body, "page": page + 1})
            if more.get("page") != page + 1:
                break   # the service ignored `page`: stop rather than loop on page one
            objects += listing(more, "objects", "/object/list")
            page = more.get("page")
        answer = strip_envelope(data)
        answer["objects"] = objects
        return answer

    def object_properties(self, organization_id: str | None, key: str) -> dict[str, Any]:
        """An object's metadata: key, modified, size, md5, mime, preview (not for folders).

        >>> client.object_properties(None, "results/run1.csv")["size"]
        """
        body = {"organizationId": self._organization(organization_id), "key": need_key(key)}
        return payload(self._object_post("/object/properties", body), "metadata",
                       "/object/properties")

    def object_download_url(self, organization_id: str | None, keys: Iterable[str], *,
                            timeout: float = 300.0, poll_interval: float = 3.0,
                            progress: Progress | None = None, job_id: str | None = None
                            ) -> str:
        """Start a download job for `keys` (or resume `job_id`) and wait, up to `timeout`
        seconds (lean-cli waits 5 minutes), for its URL. `progress` gets one line per poll.
        Ctrl-C raises DownloadInterrupted, which names the job to resume."""
        org = self._organization(organization_id)
        wanted = [need_key(k) for k in keys]
        if not wanted:
            raise InvalidArgument("give at least one Object Store key to download")
        if job_id is None:
            data = self._object_post("/object/get", {"organizationId": org, "keys": wanted})
            if isinstance(data.get("url"), str) and data["url"]:
                return data["url"]
            job_id = data.get("jobId")
            if not isinstance(job_id, str) or not job_id:
                raise MalformedResponse("/object/get: the answer has neither a url nor a jobId",
                                        endpoint="/object/get")
        started = time.monotonic()
        polls = 0
        try:
            while True:
                polls += 1
                if progress:
                    progress(f"waiting for Object Store download job {job_id} (poll {polls})")
                data = self._object_post("/object/get", {"organizationId": org, "jobId": job_id})
                if isinstance(data.get("url"), str) and data["url"]:
                    return data["url"]
                if time.monotonic() - started + poll_interval > timeout:
                    raise DownloadTimeout(
                        f"Object Store download job {job_id} had no URL after {timeout:g}s; it "
                        f"goes on in the cloud: resume with job_id={job_id!r}", job_id)
                time.sleep(poll_interval)
        except KeyboardInterrupt:
            raise DownloadInterrupted(f"stopped waiting for Object Store download job {job_id}; "
                                      f"it goes on in the cloud: resume with job_id={job_id!r}",
                                      job_id) from None

    def get_objects(self, organization_id: str | None, keys: Iterable[str], *,
                    timeout: float = 300.0, poll_interval: float = 3.0,
                    progress: Progress | None = None, job_id: str | None = None
                    ) -> dict[str, bytes]:
        """The objects' bytes by key: one download job, its URL, one archive.

        >>> client.get_objects(None, ["results/run1.csv"])["results/run1.csv"][:3]
        b'a,b'
        """
        wanted = [need_key(k) for k in keys]
        url = self.object_download_url(organization_id, wanted, timeout=timeout,
                                       poll_interval=poll_interval, progress=progress,
                                       job_id=job_id)
        if progress:
            progress(f"downloading {len(wanted)} object(s)")
        return unpack(download(url, self.transport.timeouts.as_tuple()), wanted)

    def set_object(self, organization_id: str | None, key: str, data: bytes, *,
                   max_bytes: int = MAX_OBJECT_BYTES) -> None:
        """Store `data` under `key` (multipart upload; replaces what the key held).

        >>> client.set_object(None, "results/run1.csv", b"a,b\\n1,2\\n")
        """
        org = self._organization(organization_id)
        need_key(key)
        if isinstance(data, (bytearray, memoryview)):
            data = bytes(data)
        if not isinstance(data, bytes):
            raise InvalidArgument(f"Object Store data must be bytes, not {type(data).__name__}")
        if len(data) > max_bytes:
            raise ObjectTooLarge(
                f"{key!r} is {_human(len(data))}, over the limit of {_human(max_bytes)} for one "
                f"object ({PLAN_LIMITS}); nothing was sent")
        post_multipart(self.transport, "/object/set", {"organizationId": org, "key": key},
                       ("objectData", key.rsplit("/", 1)[-1], data))

    def delete_object(self, organization_id: str | None, key: str) -> None:
        """Delete one object. A missing key raises NotFoundError."""
        body = {"organizationId": self._organization(organization_id), "key": need_key(key)}
        self._object_post("/object/delete", body)

    def _object_post(self, endpoint: str, body: dict[str, Any]) -> dict:
        """`_post`, with the Object Store's own refusals (quota, download permission) typed."""
        try:
            return self._post(endpoint, body)
        except ApiError as e:
            if type(e) is not ApiError:
                raise
            raise _classify_object_error(endpoint, e.errors) from None


def post_multipart(transport, endpoint: str, fields: dict[str, str],
                   file: tuple[str, str, bytes]) -> dict:
    """One signed multipart POST through the transport's session; typed errors as `post` gives.

    Retried only for 429 and connection failures before sending: setting a key twice to the same
    bytes is harmless, but a 5xx after a large upload is not worth sending the bytes again blind.
    """
    from .transport import _Failed
    from .wire import multipart
    url = transport.credentials.api_url + endpoint
    name, filename, data = file
    raw, content_type = multipart(fields, name, filename, data)
    for attempt in range(1, transport.retry.attempts + 1):
        outcome = transport._send(url, raw, (("Content-Type", content_type),))
        response = None
        if isinstance(outcome, _Failed):
            if outcome.kind == "interrupted":
                raise KeyboardInterrupt() from None
            if outcome.kind == "ours":
                raise outcome.error
            failure = outcome.name or outcome.kind   # a word: never the signed headers
        else:
            response = outcome
        if response is not None and response.status_code != 429:
            break
        if attempt == transport.retry.attempts:
            if response is None:
                raise TransportError(f"{endpoint}: request failed ({failure})",
                                     endpoint=endpoint)
            break
        time.sleep(transport.retry.delay(attempt - 1, None))
    try:
        body = response.json()
    except ValueError:
        body = None
    errors = errors_of(body)
    if response.status_code == 401 or is_auth_failure(errors):
        raise AuthenticationError(auth_message(errors))
    if response.status_code == 413:
        raise ObjectStoreFull(endpoint, errors or ["the upload is too large"],
                              f"{endpoint}: the service refused the upload for its size "
                              f"({PLAN_LIMITS}); nothing was changed")
    if response.status_code >= 400:
        said = f": {'; '.join(errors)}" if errors else ""
        raise TransportError(f"{endpoint}: the service answered HTTP {response.status_code}"
                             + said, endpoint=endpoint, status=response.status_code)
    if not isinstance(body, dict):
        raise MalformedResponse(f"{endpoint}: the service answered with something that is not a "
                                "JSON object", endpoint=endpoint, status=response.status_code)
    if body.get("success") is not True:
        raise _classify_object_error(endpoint, errors or ["(the service gave no reason)"])
    return body


def _classify_object_error(endpoint: str, errors: list[str]) -> QCError:
    text = " ".join(errors).lower()
    if _NOT_PERMITTED_MARKER in text:
        return DownloadNotPermitted(endpoint, errors, f"{endpoint}: {'; '.join(errors)} "
                                    "(downloads from the Object Store need the Institution "
                                    "tier; read the object in a cloud notebook instead)")
    if any(m in text for m in _FULL_MARKERS):
        return ObjectStoreFull(endpoint, errors, f"{endpoint}: {'; '.join(errors)} ({PLAN_LIMITS}"
                               "); nothing was changed")
    return classify(endpoint, errors)


def download(url: str, timeouts: tuple[float, float]) -> bytes:
    """GET a pre-signed URL with a pool of its own: no Authorization, no Timestamp header."""
    from .wire import WireError, get
    try:
        response = get(url, timeouts)
    except WireError as e:
        raise TransportError(f"Object Store download failed ({type(e).__name__})",
                             endpoint="download") from None
    if response.status_code != 200:
        raise TransportError(f"Object Store download answered HTTP {response.status_code}",
                             endpoint="download", status=response.status_code)
    return response.content


def unpack(archive: bytes, keys: list[str]) -> dict[str, bytes]:
    """The objects in a downloaded zip, by the keys asked for (leading '/' or not)."""
    import zipfile   # here: every command imports this module, few download objects
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as z:
            members = {archive_name(n): n for n in z.namelist() if not n.endswith("/")}
            found: dict[str, bytes] = {}
            for key in keys:
                member = members.get(archive_name(key))
                if member is None:
                    raise MalformedResponse(f"the Object Store download has no {key!r} (it "
                                            f"holds {sorted(members)[:5]})", endpoint="download")
                found[key] = z.read(member)
            return found
    except zipfile.BadZipFile:
        raise MalformedResponse("the Object Store download is not a zip archive",
                                endpoint="download") from None


def _human(size: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1000
    return f"{size} GB"
