"""What keeps the local web page local: Host and Origin checks, and an upload limit enforced while the body arrives.

A page on another site can make the browser send requests to 127.0.0.1 (a form, a text/plain "JSON" POST) or point
its own name at it (DNS rebinding). Requests whose Host is not this server's name are refused, and so are state-changing
requests whose Origin is another site's.
"""

from __future__ import annotations

import ipaddress
import json
from urllib.parse import urlsplit

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def is_loopback(host: str) -> bool:
    """localhost (and *.localhost), the whole of 127.0.0.0/8, and ::1; with or without [brackets]."""
    name = host.strip().strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_wildcard(host: str) -> bool:
    return host.strip("[]") in ("0.0.0.0", "::", "")


def url_host(host: str) -> str:
    """A host as written in a URL: an IPv6 address in brackets ([::1])."""
    return f"[{host.strip('[]')}]" if ":" in host.strip("[]") else host


def host_name(header: str) -> str:
    """The name in a Host header or URL netloc, without the port: 'localhost:8000' -> 'localhost', '[::1]:80' -> '::1'."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def same_origin(origin: str | None, fetch_site: str | None, host: str) -> bool:
    """Whether a state-changing request comes from this server's own pages (or from no page: curl, scripts).

    Browsers send Origin on POSTs; it is "null" from privacy-minded contexts, where Sec-Fetch-Site still says whether
    the request is same-origin."""
    if origin is not None and origin != "null":
        return urlsplit(origin).netloc.lower() == host.lower()
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    return origin is None  # no Origin and no Fetch metadata: not a browser page's request


class Guard:
    """ASGI middleware: Host allow-list, same-origin check for unsafe methods, streaming upload limit."""

    def __init__(self, app, *, listen_host: str = "127.0.0.1", upload_limit: int, upload_paths=("/spreadsheet",)):
        self.app = app
        self.limit = upload_limit
        self.upload_paths = set(upload_paths)
        # Loopback names always; the name given to --host too; any name when listening on all interfaces (the
        # warning at start-up says so), where the Origin check still applies.
        self.any_host = is_wildcard(listen_host)
        self.hosts = {host_name(url_host(listen_host))}

    def allowed_host(self, name: str) -> bool:
        return self.any_host or is_loopback(name) or name in self.hosts

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if not self.allowed_host(host_name(host)):
            return await _reply(send, 421, f"this page answers to localhost only, not to '{host_name(host)}'")
        if scope["method"] not in SAFE_METHODS:
            if not same_origin(headers.get("origin"), headers.get("sec-fetch-site"), host):
                return await _reply(send, 403, "requests from other sites are refused")
        if scope["method"] == "POST" and scope["path"] in self.upload_paths:
            length = headers.get("content-length", "")
            # the multipart envelope adds a few hundred bytes to the file itself
            if length.isdigit() and int(length) > self.limit + 64 * 1024:
                return await _reply(send, 413, self.too_large())
            receive = self._counting(receive, send, scope)

        async def guarded_send(message):
            if not self._replied(scope):  # once the 413 is sent, the app's own reply goes nowhere
                await send(message)

        try:
            await self.app(scope, receive, guarded_send)
        except Exception:
            if not self._replied(scope):
                raise  # a real error: Starlette's error handling answers it

    def too_large(self) -> str:
        return f"the file is larger than the {self.limit / 1024 / 1024:g} MB limit"

    @staticmethod
    def _replied(scope) -> bool:
        return scope.get("analyser.too_large", False)

    def _counting(self, receive, send, scope):
        """`receive` that counts the body: past the limit it answers 413 itself and tells the app the client left
        (an exception would be turned into a 400 by the form parser), so nothing more is read or spooled."""
        seen = 0
        cap = self.limit + 64 * 1024

        async def counted():
            nonlocal seen
            if self._replied(scope):
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:
                    scope["analyser.too_large"] = True
                    await _reply(send, 413, self.too_large())
                    return {"type": "http.disconnect"}
            return message

        return counted


async def _reply(send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


MAX_ROWS = 100_000  # rows of one uploaded spreadsheet (a 0.9 MB XLSX once expanded to 200,000 rows and 792 MB)
MAX_EXPANDED = 200 * 1024 * 1024  # bytes an XLSX (a zip file) may hold once uncompressed


def expanded_problem(path, *, max_rows: int = MAX_ROWS, max_expanded: int = MAX_EXPANDED) -> str | None:
    """Why an upload is too big once opened (zip contents, rows), in one line; None when it is not."""
    import zipfile
    from pathlib import Path

    from ..tables import count_rows

    path = Path(path)
    if path.suffix.lower() == ".xlsx" and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            expanded = sum(info.file_size for info in z.infolist())
        if expanded > max_expanded:
            return f"the spreadsheet expands to {expanded / 1024 / 1024:,.0f} MB, over the {max_expanded / 1024 / 1024:,.0f} MB limit"
    rows = count_rows(path)
    if rows is not None and rows > max_rows:
        return f"the spreadsheet has {rows:,} rows; at most {max_rows:,} can be analysed here (use `analyser batch`)"
    return None
