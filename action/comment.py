#!/usr/bin/env python3
"""Posts a file as the one homeops comment of a pull request, or updates that comment (the homeops Action).

The comment is found by a hidden marker (``<!-- homeops-diff -->``) at the start of its body, so each
push edits the same comment instead of adding one. Standard library only; reads the environment GitHub
Actions sets: ``GITHUB_EVENT_PATH`` (the event payload), ``GITHUB_API_URL``, ``GITHUB_REPOSITORY`` and
``GITHUB_TOKEN``. On an event that is not about a pull request it does nothing. The token is sent only to
``GITHUB_API_URL``'s host and never printed.

Usage: comment.py BODY_FILE [--marker MARKER]
Exit status: 0 posted, updated, unchanged or skipped; 1 the GitHub API or the environment failed; 2 usage.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

MARKER = "<!-- homeops-diff -->"
MAX_BODY = 65_000  # GitHub refuses comment bodies over 65,536 characters
MAX_PAGES = 200
TIMEOUT = 30
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


class CommentError(Exception):
    """The comment cannot be posted; the message says why (it never holds the token)."""


class GitHubApi:
    """The few REST calls this script needs, with the token in the Authorization header only."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base = base_url.rstrip("/")
        self._origin = urllib.parse.urlsplit(self.base)[:2]
        self._token = token

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    def request(self, method: str, url: str, body: Mapping[str, Any] | None = None) -> tuple[Any, str]:
        """The decoded JSON reply and its Link header. ``url`` is a path under the API or a full URL."""
        if not url.startswith(("http://", "https://")):
            url = self.base + url
        shown = urllib.parse.urlsplit(url).path
        if urllib.parse.urlsplit(url)[:2] != self._origin:
            raise CommentError(f"refusing to send the token to {urllib.parse.urlsplit(url).netloc}")
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Accept", "application/vnd.github+json")
        req.add_header("X-GitHub-Api-Version", "2022-11-28")
        req.add_header("User-Agent", "homeops-action")
        req.add_header("Authorization", f"Bearer {self._token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT) as reply:
                raw = reply.read()
                link = reply.headers.get("Link", "")
        except urllib.error.HTTPError as exc:
            detail = _error_detail(exc)
            hint = ""
            if exc.code in (403, 404) and method != "GET":
                hint = (
                    " (the token needs the pull-requests: write permission; a pull request from a fork"
                    " only gets a read-only token)"
                )
            raise CommentError(
                self._redact(f"GitHub API {method} {shown} failed: {exc.code} {exc.reason}{detail}{hint}")
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            message = f"cannot reach the GitHub API at {self.base}: {reason}"
            raise CommentError(self._redact(message)) from None
        try:
            return (json.loads(raw) if raw.strip() else None), link
        except ValueError:
            raise CommentError(f"GitHub API {method} {shown} did not answer JSON") from None

    def paginate(self, path: str) -> Iterator[Any]:
        """Every item of a list endpoint, following the Link rel="next" pages."""
        url: str | None = path
        seen: set[str] = set()
        while url is not None:
            if url in seen or len(seen) >= MAX_PAGES:
                raise CommentError(f"GitHub API pagination of {path} does not end")
            seen.add(url)
            page, link = self.request("GET", url)
            if not isinstance(page, list):
                raise CommentError(f"GitHub API GET {path} did not answer a list")
            yield from page
            match = _NEXT.search(link)
            url = match.group(1) if match else None


def _error_detail(exc: urllib.error.HTTPError) -> str:
    try:
        doc = json.loads(exc.read() or b"null")
    except (ValueError, OSError):
        return ""
    message = doc.get("message") if isinstance(doc, dict) else None
    return f": {message}" if isinstance(message, str) and message else ""


def pull_request_number(event: Mapping[str, Any]) -> int | None:
    """The pull request an event is about (pull_request, pull_request_target), or None."""
    pr = event.get("pull_request")
    number = pr.get("number") if isinstance(pr, dict) else None
    return number if isinstance(number, int) and not isinstance(number, bool) else None


def _env(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise CommentError(f"{name} is not set")
    return value


def _body(text: str, marker: str) -> str:
    body = f"{marker}\n{text.rstrip()}\n"
    if len(body) > MAX_BODY:
        note = "\n\n_(cut: the comment would be over GitHub's size limit; see the job summary)_\n"
        body = body[: MAX_BODY - len(note)] + note
    return body


def post_or_update(body_file: Path, marker: str, environ: Mapping[str, str]) -> str:
    """Does the work; returns the line to print."""
    try:
        event = json.loads(Path(_env(environ, "GITHUB_EVENT_PATH")).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommentError(f"cannot read the event payload: {exc}") from None
    number = pull_request_number(event) if isinstance(event, dict) else None
    if number is None:
        return "not a pull request event: no comment posted"
    repo = _env(environ, "GITHUB_REPOSITORY")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repo):
        raise CommentError(f"GITHUB_REPOSITORY is not owner/name: {repo!r}")
    try:
        text = body_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommentError(f"cannot read {body_file}: {exc}") from None
    api = GitHubApi(environ.get("GITHUB_API_URL") or "https://api.github.com", _env(environ, "GITHUB_TOKEN"))
    body = _body(text, marker)
    existing = None
    for comment in api.paginate(f"/repos/{repo}/issues/{number}/comments?per_page=100"):
        if isinstance(comment, dict) and str(comment.get("body") or "").lstrip().startswith(marker):
            existing = comment
            break
    if existing is not None:
        comment_id = existing.get("id")
        if not isinstance(comment_id, int):
            raise CommentError("GitHub API listed a comment without an id")
        if existing.get("body") == body:
            return _done(environ, comment_id, f"comment {comment_id} on #{number} is up to date")
        api.request("PATCH", f"/repos/{repo}/issues/comments/{comment_id}", {"body": body})
        return _done(environ, comment_id, f"updated comment {comment_id} on #{number}")
    created, _ = api.request("POST", f"/repos/{repo}/issues/{number}/comments", {"body": body})
    new_id = created.get("id") if isinstance(created, dict) else None
    if not isinstance(new_id, int):
        raise CommentError("GitHub API did not return the new comment's id")
    return _done(environ, new_id, f"created comment {new_id} on #{number}")


def _done(environ: Mapping[str, str], comment_id: int, line: str) -> str:
    output = environ.get("GITHUB_OUTPUT")
    if output:
        with open(output, "a", encoding="utf-8") as handle:
            handle.write(f"comment-id={comment_id}\n")
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Post or update the homeops comment of a pull request.")
    parser.add_argument("body_file", type=Path, help="the Markdown to post (e.g. homeops diff -o markdown)")
    parser.add_argument("--marker", default=MARKER, help=f"hidden marker that finds the comment ({MARKER})")
    args = parser.parse_args(argv)
    if not args.marker.strip():
        parser.error("--marker must not be empty")
    try:
        print(f"homeops: {post_or_update(args.body_file, args.marker, os.environ)}")
    except CommentError as exc:
        print(f"homeops: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
