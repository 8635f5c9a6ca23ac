"""A small client of the platform's HTTP API for the demo's people: one keep-alive connection, bearer tokens per
account, refresh on expiry, errors as `ApiFailure(status, code, message)` (never the API's internals)."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit


class ApiFailure(Exception):
    """An answer other than 2xx (or no answer): status 0 means the connection failed."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


@dataclass
class Session:
    login: str
    password: str
    access: str = ""
    refresh: str = ""
    account_id: str = ""


class ApiClient:
    """Requests under /api/v1 of `base_url` (http://127.0.0.1:8000), signed in as any number of accounts."""

    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None
        self.sessions: dict[str, Session] = {}

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # ---- raw requests ----------------------------------------------------------------------------------------
    def request(self, method: str, path: str, body: Any = None, *, token: str = "") -> Any:
        """One request; a dropped keep-alive connection is reopened once. 204 → None."""
        headers = {"Accept": "application/json", "X-Client-Channel": "web"}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self._conn.request(method, "/api/v1" + path, body=data, headers=headers)
                reply = self._conn.getresponse()
                raw = reply.read()
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                if attempt == 2:
                    raise ApiFailure(0, "unreachable", f"{type(exc).__name__}: {exc}") from None
                continue
            if reply.getheader("Connection", "").lower() == "close":
                self.close()
            return _decode(reply.status, raw)
        raise AssertionError("unreachable")

    # ---- signed-in requests --------------------------------------------------------------------------------
    def sign_in(self, login: str, password: str) -> Session:
        doc = self.request("POST", "/auth/login", {"login": login, "password": password, "channel": "web"})
        session = Session(login, password, doc["access_token"], doc["refresh_token"], doc["account"]["id"])
        self.sessions[login] = session
        return session

    def call(self, login: str, method: str, path: str, body: Any = None, **query: Any) -> Any:
        """A request as `login` (signed in on first use); an expired access token is refreshed (or, when the
        refresh fails, the account signs in again) and the request repeated once."""
        session = self.sessions.get(login)
        if session is None:
            raise KeyError(f"{login} has no session: sign_in first")
        if query:
            path += "?" + urlencode({k: v for k, v in query.items() if v is not None}, doseq=True)
        try:
            return self.request(method, path, body, token=session.access)
        except ApiFailure as exc:
            if exc.status != 401:
                raise
        self._renew(session)
        return self.request(method, path, body, token=self.sessions[login].access)

    def _renew(self, session: Session) -> None:
        try:
            doc = self.request("POST", "/auth/refresh", {"refresh_token": session.refresh})
            session.access, session.refresh = doc["access_token"], doc["refresh_token"]
        except ApiFailure as exc:
            if exc.status != 401:
                raise
            self.sign_in(session.login, session.password)


def _decode(status: int, raw: bytes) -> Any:
    try:
        doc = json.loads(raw) if raw else None
    except ValueError:
        doc = None
        if 200 <= status < 300:
            raise ApiFailure(status, "no_json", raw[:200].decode("utf-8", "replace")) from None
    if 200 <= status < 300:
        return doc
    if isinstance(doc, dict):
        raise ApiFailure(status, str(doc.get("code", "")), str(doc.get("message", "")))
    raise ApiFailure(status, "no_json", raw[:200].decode("utf-8", "replace"))
