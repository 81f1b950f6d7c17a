"""The register's client of the server's device API (`/api/device/v1`): activation with a code, the
changes stream into the local catalog, and status reports.

Everything that goes wrong on the way is one of four exceptions, each telling the register what to do:

- `Offline`: the server could not be reached, took too long, failed (5xx) or cut the stream. The
  register sells on from its local catalog and tries again later;
- `Unauthorized`: the server no longer knows the register's token (it was unbound in the back office);
  it must be activated again;
- `Refused`: the server refused the request (another 4xx), with its message and field errors
  (`{"error": {"code", "message", "fields"}}`), e.g. a wrong activation code;
- `Incompatible`: the server sent a line this version of the register cannot read: the app needs updating.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime

import httpx
from pydantic import ValidationError

from openkassa.protocol import documents as protocol_documents
from openkassa.protocol import shopdocs
from openkassa.protocol.changes import LINE, Line
from openkassa.protocol.stock import ProductBalance
from openkassa.register.catalog import CutStream, LocalCatalog

API = "/api/device/v1"
CONNECT_SECONDS = 5.0
READ_SECONDS = 30.0  # the longest silence between two reads of an answer; a long poll adds its wait


class SyncError(Exception):
    """Talking to the server failed."""


class Offline(SyncError):
    """The server could not be reached, did not answer in time, failed, or cut its answer: try again later."""


class Unauthorized(SyncError):
    """The server does not know this register's token: it was unbound, and must be activated again."""


class Refused(SyncError):
    """The server refused the request; `message` and `fields` say why, as the server put it."""

    def __init__(self, status: int, code: str, message: str, fields: dict[str, str]):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields


class Incompatible(SyncError):
    """The server sent what this version of the register cannot read: the app must be updated."""


@dataclass(frozen=True, slots=True)
class Activation:
    """What the server answers a register bound to a point. The token is shown once: keep it."""

    device_id: uuid.UUID
    account_id: uuid.UUID
    point_id: uuid.UUID
    point_name: str
    token: str


class ServerClient:
    """The device API as the register calls it.

    It makes its own `httpx.Client` unless given one (tests pass Starlette's `TestClient`, which calls
    the app in process); a client it made is closed by `close()`. `token` is the device token, set by
    `activate`.
    """

    def __init__(self, base_url: str, token: str | None = None, *, http: httpx.Client | None = None):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._owned = http is None
        self._http = http or httpx.Client(timeout=httpx.Timeout(READ_SECONDS, connect=CONNECT_SECONDS))

    def close(self) -> None:
        if self._owned:
            self._http.close()

    def __enter__(self) -> ServerClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def activate(self, code: str, *, name: str, app_version: str = "", serial: str = "") -> Activation:
        """Bind the register to a point with the activation code the back office shows; keeps the token."""
        with _reaching():
            response = self._http.post(self._url("/activate"), json={
                "code": code, "device": {"name": name, "app_version": app_version, "serial": serial}})
        body = _checked(response).json()
        activation = Activation(device_id=uuid.UUID(body["device_id"]), account_id=uuid.UUID(body["account_id"]),
                                point_id=uuid.UUID(body["point"]["id"]), point_name=body["point"]["name"],
                                token=body["token"])
        self.token = activation.token
        return activation

    def changes(self, since: int, wait: float = 0) -> Iterator[Line]:
        """The changes stream after revision `since`, line by line as it arrives (see `protocol.changes`).

        With a `wait` (seconds, up to 60) the server holds the request until something changes: the
        read timeout is that much longer. Nothing is sent until the first line is asked for; close the
        iterator to hang up early.
        """
        timeout = (CONNECT_SECONDS, READ_SECONDS + wait, READ_SECONDS, READ_SECONDS)  # connect, read, write, pool
        with _reaching(), self._http.stream("GET", self._url("/changes"), params={"since": since, "wait": wait},
                                            headers=self._authorization(), timeout=timeout) as response:
            _checked(response)
            texts = response.iter_lines()
            for text in texts:
                if not text:
                    continue
                try:
                    line = LINE.validate_json(text)
                except ValidationError as error:
                    raise Incompatible(f"a line of the changes stream this register cannot read: {error}") from error
                if line.type == "end":
                    for _rest in texts:  # read the answer to its end: its connection then serves the next request
                        pass
                yield line

    def pull(self, catalog: LocalCatalog, wait: float = 0) -> int:
        """Bring the local catalog up to the server's revision; returns the revision applied.

        Asks from the catalog's revision (waiting up to `wait` seconds for a change) and applies the
        stream whole or not at all. When the point sells from another catalog now, asks again at once
        from 0 and replaces the catalog. A stream cut halfway is `Offline`: the catalog is as it was.
        """
        try:
            if not self._apply_changes(catalog, wait):
                self._apply_changes(catalog, 0)  # the catalog went back to 0: everything comes again
        except CutStream as error:
            raise Offline(f"the changes stream was cut: {error}") from error
        return catalog.revision

    def report_status(self, *, app_version: str | None = None, fn_serial: str | None = None,
                      kkt_reg_number: str | None = None, unsent_documents: int | None = None,
                      oldest_unsent_at: datetime | None = None, last_ofd_exchange_at: datetime | None = None) -> None:
        """Tell the back office about the register: its app, its fiscal drive, and the drive's documents
        the OFD has not acknowledged (the count and the oldest's time, aware, together). What is left
        out stays as the server has it."""
        given = {"app_version": app_version, "fn_serial": fn_serial, "kkt_reg_number": kkt_reg_number,
                 "unsent_documents": unsent_documents, "oldest_unsent_at": oldest_unsent_at,
                 "last_ofd_exchange_at": last_ofd_exchange_at}
        status = {field: value.isoformat() if isinstance(value, datetime) else value
                  for field, value in given.items() if value is not None}
        with _reaching():
            response = self._http.patch(self._url("/me"), json=status, headers=self._authorization())
        _checked(response)

    def upload(self, documents: list[dict]) -> list[protocol_documents.Result]:
        """Send up to 500 documents (`protocol.documents`, as JSON); the server's answer about each, in order."""
        with _reaching():
            response = self._http.post(self._url("/documents"), json={"documents": documents}, headers=self._authorization())
        try:
            return protocol_documents.Uploaded.model_validate_json(_checked(response).content).results
        except ValidationError as error:
            raise Incompatible(f"an upload answer this register cannot read: {error}") from error

    def stock(self, product_id: uuid.UUID) -> int | None:
        """A product's quantity (thousandths) in the warehouse the register's point sells from; None
        when the point keeps no stock (`protocol.stock`)."""
        with _reaching():
            response = self._http.get(self._url(f"/stock/{product_id}"), headers=self._authorization())
        try:
            return ProductBalance.model_validate_json(_checked(response).content).quantity
        except ValidationError as error:
            raise Incompatible(f"a stock answer this register cannot read: {error}") from error

    def take_shop_documents(self, wait: float = 0) -> list[shopdocs.ShopDocument]:
        """The point's next online-shop documents for this register (`protocol.shopdocs`), waiting up
        to `wait` seconds for one when none waits."""
        with _reaching():
            response = self._http.post(self._url("/shop-documents/take"), params={"wait": wait},
                                       headers=self._authorization(), timeout=wait + 30)
        try:
            return shopdocs.Taken.model_validate_json(_checked(response).content).documents
        except ValidationError as error:
            raise Incompatible(f"online-shop documents this register cannot read: {error}") from error

    def report_shop_document(self, document_id: uuid.UUID, result: shopdocs.Result) -> None:
        """What the register made of an online-shop document it took."""
        with _reaching():
            response = self._http.post(self._url(f"/shop-documents/{document_id}/result"),
                                       json=result.model_dump(mode="json"), headers=self._authorization())
        _checked(response)

    def register_drive(self, fn_serial: str, key: bytes) -> None:
        """Tell the server the key the register's software drive signs with (`protocol.documents.DriveKey`)."""
        body = protocol_documents.DriveKey(fn_serial=fn_serial, key=key).model_dump(mode="json")
        with _reaching():
            response = self._http.put(self._url("/drive"), json=body, headers=self._authorization())
        _checked(response)

    def _apply_changes(self, catalog: LocalCatalog, wait: float) -> bool:
        with closing(self.changes(catalog.revision, wait)) as lines:  # hang up if `apply` stops early
            return catalog.apply(lines)

    def _url(self, path: str) -> str:
        return f"{self.base_url}{API}{path}"

    def _authorization(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


@contextmanager
def _reaching():
    """Turn a failure to reach the server (no connection, a timeout, a connection cut) into `Offline`."""
    try:
        yield
    except httpx.TransportError as error:
        raise Offline(f"the server cannot be reached: {error or type(error).__name__}") from error


def _checked(response: httpx.Response) -> httpx.Response:
    """The response, when the server did what was asked; else the exception that says what to do."""
    if response.status_code < 400:
        return response
    if response.status_code >= 500:
        raise Offline(f"the server failed ({response.status_code})")
    response.read()
    try:
        error = response.json()["error"]
        code, message, fields = error["code"], error["message"], error.get("fields") or {}
    except (ValueError, KeyError, TypeError):
        code, message, fields = "", response.text[:200] or response.reason_phrase, {}
    if response.status_code == 401:
        raise Unauthorized(message)
    raise Refused(response.status_code, code, message, fields)
