"""action/comment.py against a stub GitHub API on 127.0.0.1: one comment per pull request, kept up to date."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.action.fake_github import TOKEN, FakeGitHub

SCRIPT = Path(__file__).resolve().parents[2] / "action" / "comment.py"
MARKER = "<!-- homeops-diff -->"
PR = 7


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake


def write_event(tmp_path: Path, payload: dict[str, object]) -> Path:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    return path


def pr_event(tmp_path: Path, number: int = PR) -> Path:
    return write_event(
        tmp_path, {"action": "synchronize", "number": number, "pull_request": {"number": number}}
    )


def run(
    tmp_path: Path, github: FakeGitHub, event: Path, body: str, **extra: str
) -> subprocess.CompletedProcess[str]:
    body_file = tmp_path / "diff.md"
    body_file.write_text(body)
    env = {
        "PATH": "/usr/bin:/bin",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_API_URL": github.url,
        "GITHUB_REPOSITORY": github.repo,
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        **extra,
    }
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), str(body_file)], env=env, capture_output=True, text=True, timeout=60
    )
    assert TOKEN not in proc.stdout + proc.stderr
    return proc


def comments_path(number: int = PR) -> str:
    return f"/repos/home/ops/issues/{number}/comments"


def test_first_run_posts_the_comment_second_run_edits_the_same_one(
    tmp_path: Path, github: FakeGitHub
) -> None:
    github.add_comment(PR, "LGTM")
    event = pr_event(tmp_path)

    first = run(tmp_path, github, event, "## 1 change\n")
    assert first.returncode == 0, first.stderr
    assert github.calls() == [("GET", comments_path()), ("POST", comments_path())]
    assert github.requests[0].query["per_page"] == ["100"]
    assert {r.authorization for r in github.requests} == {f"Bearer {TOKEN}"}
    posted = github.comments[PR][-1]
    assert posted["body"] == f"{MARKER}\n## 1 change\n"
    assert first.stdout == f"homeops: created comment {posted['id']} on #{PR}\n"
    assert (tmp_path / "output").read_text() == f"comment-id={posted['id']}\n"

    github.requests.clear()
    second = run(tmp_path, github, event, "## 2 changes\n")
    assert second.returncode == 0, second.stderr
    assert github.calls() == [
        ("GET", comments_path()),
        ("PATCH", f"/repos/home/ops/issues/comments/{posted['id']}"),
    ]
    assert [c["body"] for c in github.comments[PR]] == ["LGTM", f"{MARKER}\n## 2 changes\n"]
    assert second.stdout == f"homeops: updated comment {posted['id']} on #{PR}\n"

    github.requests.clear()
    third = run(tmp_path, github, event, "## 2 changes\n")
    assert third.returncode == 0 and "is up to date" in third.stdout
    assert [m for m, _ in github.calls()] == ["GET"]


def test_the_marked_comment_is_found_on_a_later_page(tmp_path: Path, github: FakeGitHub) -> None:
    github.page_size = 2
    for n in range(5):
        github.add_comment(PR, f"chatter {n}")
    github.add_comment(PR, f"> {MARKER}\n> quoted in a reply: not ours")
    marked = github.add_comment(PR, f"{MARKER}\nold diff\n", "github-actions[bot]")
    github.add_comment(PR, "more chatter")

    proc = run(tmp_path, github, pr_event(tmp_path), "new diff\n")
    assert proc.returncode == 0, proc.stderr
    assert [(r.method, r.query.get("page")) for r in github.requests] == [
        ("GET", None),
        ("GET", ["2"]),
        ("GET", ["3"]),
        ("GET", ["4"]),
        ("PATCH", None),
    ]
    assert github.requests[-1].path == f"/repos/home/ops/issues/comments/{marked}"
    assert sum(1 for c in github.comments[PR] if c["body"].startswith(MARKER)) == 1
    assert len(github.comments[PR]) == 8


def test_all_pages_are_read_before_posting_a_new_comment(tmp_path: Path, github: FakeGitHub) -> None:
    github.page_size = 3
    for n in range(7):
        github.add_comment(PR, f"chatter {n}")
    proc = run(tmp_path, github, pr_event(tmp_path), "diff\n")
    assert proc.returncode == 0, proc.stderr
    assert github.calls() == [("GET", comments_path())] * 3 + [("POST", comments_path())]


@pytest.mark.parametrize(
    "payload",
    [
        {"ref": "refs/heads/main", "commits": []},  # push
        {"action": "created", "issue": {"number": PR}, "comment": {"body": "hi"}},  # issue_comment
        {"schedule": "0 0 * * *"},
    ],
)
def test_an_event_that_is_not_a_pull_request_does_nothing(
    tmp_path: Path, github: FakeGitHub, payload: dict[str, object]
) -> None:
    proc = run(tmp_path, github, write_event(tmp_path, payload), "diff\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "homeops: not a pull request event: no comment posted\n"
    assert github.requests == []
    assert not (tmp_path / "output").exists()


def test_an_api_error_is_a_clear_message_and_a_failure(tmp_path: Path, github: FakeGitHub) -> None:
    github.fail = ("POST", 403, "Resource not accessible by integration")
    proc = run(tmp_path, github, pr_event(tmp_path), "diff\n")
    assert proc.returncode == 1
    assert proc.stdout == ""
    first_line = proc.stderr.splitlines()[0]
    assert first_line.startswith(
        f"homeops: error: GitHub API POST {comments_path()} failed: 403 Forbidden: "
        "Resource not accessible by integration (the token needs the pull-requests: write permission"
    )


def test_bad_credentials_fail_without_showing_the_token(tmp_path: Path, github: FakeGitHub) -> None:
    proc = run(tmp_path, github, pr_event(tmp_path), "diff\n", GITHUB_TOKEN="ghs_wrong-token")
    assert proc.returncode == 1
    assert "401 Unauthorized: Bad credentials" in proc.stderr
    assert "ghs_wrong-token" not in proc.stdout + proc.stderr
    assert github.calls() == [("GET", comments_path())]


def test_an_unreachable_api_fails_clearly(tmp_path: Path, github: FakeGitHub) -> None:
    github.__exit__(None, None, None)  # nothing listens on that port any more
    proc = run(tmp_path, github, pr_event(tmp_path), "diff\n")
    github.__enter__()  # the fixture closes it again
    assert proc.returncode == 1
    assert proc.stderr.startswith("homeops: error: cannot reach the GitHub API at http://127.0.0.1:")


def test_the_token_never_follows_a_next_link_to_another_host(tmp_path: Path, github: FakeGitHub) -> None:
    github.page_size = 1
    github.next_link_host = "attacker.invalid"
    github.add_comment(PR, "a")
    github.add_comment(PR, "b")
    proc = run(tmp_path, github, pr_event(tmp_path), "diff\n")
    assert proc.returncode == 1
    assert "refusing to send the token to attacker.invalid" in proc.stderr
    assert github.calls() == [("GET", comments_path())]


@pytest.mark.parametrize("missing", ["GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_EVENT_PATH"])
def test_missing_environment_is_named(tmp_path: Path, github: FakeGitHub, missing: str) -> None:
    proc = run(tmp_path, github, pr_event(tmp_path), "diff\n", **{missing: ""})
    assert proc.returncode == 1
    assert proc.stderr == f"homeops: error: {missing} is not set\n"
    assert github.requests == []


def test_a_huge_diff_is_cut_below_githubs_limit(tmp_path: Path, github: FakeGitHub) -> None:
    proc = run(tmp_path, github, pr_event(tmp_path), "x" * 70_000)
    assert proc.returncode == 0, proc.stderr
    body = github.comments[PR][0]["body"]
    assert body.startswith(MARKER) and len(body) <= 65_000 and "cut:" in body
