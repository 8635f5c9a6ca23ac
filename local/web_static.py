"""The dashboard's built files (web/dist) served beside the API: content types, the index.html fallback for client
routes, no path outside the folder, long cache for hashed assets and none for index.html."""

from __future__ import annotations

import mimetypes
import posixpath
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

ASSETS = "assets/"  # Vite's output: every file name carries a content hash, so it never changes under its name
IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"  # index.html: always revalidated, so a new build shows on the next load
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".txt": "text/plain; charset=utf-8",
}


@dataclass(frozen=True)
class StaticReply:
    status: int
    headers: dict[str, str]
    body: bytes


class StaticSite:
    """Answers GET/HEAD for every path outside /api/ from one folder."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def available(self) -> bool:
        return (self.root / "index.html").is_file()

    def answer(self, url_path: str) -> StaticReply:
        relative = self._relative(url_path)
        if relative is None:
            return _text(404, "未找到")
        if relative:
            candidate = (self.root / relative).resolve()
            inside = candidate.is_relative_to(self.root)
            if inside and candidate.is_file():
                return self._file(candidate, immutable=relative.startswith(ASSETS))
            if relative.startswith(ASSETS) or posixpath.splitext(relative)[1]:
                return _text(404, "未找到")  # a missing file is not a client route: no index.html for it
        index = self.root / "index.html"
        if not index.is_file():
            return _text(503, "监管平台页面尚未构建（运行 make web）")
        return self._file(index, immutable=False)  # client routes (/alarms/123) are the single page's

    @staticmethod
    def _relative(url_path: str) -> str | None:
        """The path below the root, '' for the root; None for anything that tries to leave it."""
        path = unquote(url_path.split("?", 1)[0])
        if "\x00" in path or "\\" in path:
            return None
        parts = [p for p in path.split("/") if p not in ("", ".")]
        if any(p == ".." or p.startswith(".") for p in parts):
            return None  # no traversal, no dot files
        return "/".join(parts)

    @staticmethod
    def _file(path: Path, *, immutable: bool) -> StaticReply:
        kind = TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        headers = {
            "Content-Type": kind,
            "Cache-Control": IMMUTABLE if immutable else NO_CACHE,
            "X-Content-Type-Options": "nosniff",
        }
        if path.suffix == ".html":
            headers["X-Frame-Options"] = "DENY"
            headers["Referrer-Policy"] = "same-origin"
        return StaticReply(200, headers, path.read_bytes())


def _text(status: int, message: str) -> StaticReply:
    headers = {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": NO_CACHE}
    return StaticReply(status, headers, message.encode())
