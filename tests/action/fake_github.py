"""A stand-in for the GitHub REST API on 127.0.0.1: issue comments, pagination and failures."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "ghs_test-token-0123456789abcdef"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    authorization: str | None
    body: Any


@dataclass
class FakeGitHub:
    """Comments of one repository's issues; ``page_size`` small to exercise pagination."""

    repo: str = "home/ops"
    page_size: int = 30
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    fail: tuple[str, int, str] | None = None  # (method, status, message)
    next_link_host: str | None = None  # send rel="next" links to another host
    next_id: int = 1000
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def add_comment(self, number: int, body: str, user: str = "someone") -> int:
        with self.lock:
            self.next_id += 1
            self.comments.setdefault(number, []).append(
                {"id": self.next_id, "body": body, "user": {"login": user}}
            )
            return self.next_id

    def __enter__(self) -> FakeGitHub:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _reply(self, status: int, doc: Any, headers: dict[str, str] | None = None) -> None:
                raw = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(raw)

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                with fake.lock:
                    fake.requests.append(
                        Recorded(
                            self.command,
                            parts.path,
                            parse_qs(parts.query),
                            self.headers["Authorization"],
                            body,
                        )
                    )
                if self.headers["Authorization"] != f"Bearer {TOKEN}":
                    self._reply(401, {"message": "Bad credentials"})
                    return
                if fake.fail is not None and fake.fail[0] == self.command:
                    self._reply(fake.fail[1], {"message": fake.fail[2]})
                    return
                self._route(parts.path, parse_qs(parts.query), body)

            def _route(self, path: str, query: dict[str, list[str]], body: Any) -> None:
                segments = path.strip("/").split("/")
                prefix = ["repos", *fake.repo.split("/")]
                if segments[:3] != prefix:
                    self._reply(404, {"message": "Not Found"})
                    return
                rest = segments[3:]
                if len(rest) == 3 and rest[0] == "issues" and rest[2] == "comments":
                    number = int(rest[1])
                    if self.command == "GET":
                        self._list(path, number, int(query.get("page", ["1"])[0]))
                        return
                    if self.command == "POST":
                        new_id = fake.add_comment(number, body["body"], "github-actions[bot]")
                        self._reply(201, {"id": new_id, "body": body["body"]})
                        return
                if len(rest) == 3 and rest[:2] == ["issues", "comments"] and self.command == "PATCH":
                    comment_id = int(rest[2])
                    with fake.lock:
                        for comment in (c for cs in fake.comments.values() for c in cs):
                            if comment["id"] == comment_id:
                                comment["body"] = body["body"]
                                self._reply(200, comment)
                                return
                self._reply(404, {"message": "Not Found"})

            def _list(self, path: str, number: int, page: int) -> None:
                with fake.lock:
                    items = list(fake.comments.get(number, []))
                start = (page - 1) * fake.page_size
                chunk = items[start : start + fake.page_size]
                headers = {}
                if start + fake.page_size < len(items):
                    host = fake.next_link_host or fake.url.split("//", 1)[1]
                    nxt = f"http://{host}{path}?per_page=100&page={page + 1}"
                    last = f"http://{host}{path}?per_page=100&page={(len(items) - 1) // fake.page_size + 1}"
                    headers["Link"] = f'<{nxt}>; rel="next", <{last}>; rel="last"'
                self._reply(200, chunk, headers)

            do_GET = do_POST = do_PATCH = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()

    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, r.path) for r in self.requests]
