"""The two sides of a diff as directories: a Git revision extracted from the object database into a temporary
directory (``git archive``), or the work tree itself. The user's checkout, index and HEAD are never touched.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from homeops.errors import InputError, UsageError


@dataclass(frozen=True, slots=True)
class GitRepo:
    """A Git work tree: its top level, and where the homeops repository sits inside it (``""``: the top)."""

    toplevel: Path
    prefix: str

    @classmethod
    def at(cls, repo: Path) -> GitRepo:
        """The Git repository holding directory ``repo``; UsageError when there is none."""
        try:
            top = run_git(["rev-parse", "--show-toplevel"], repo).strip()
        except InputError as exc:
            raise UsageError(
                f"{repo} is not inside a Git repository: `homeops diff` compares Git revisions",
                hint="run it from your repository, or pass --repo",
            ) from exc
        toplevel = Path(top).resolve()
        prefix = repo.resolve().relative_to(toplevel).as_posix()
        return cls(toplevel, "" if prefix == "." else prefix)

    def commit(self, ref: str) -> str:
        """The commit id of ``ref``; UsageError when it names no commit."""
        try:
            return run_git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"],
                           self.toplevel).strip()  # fmt: skip
        except InputError:
            raise UsageError(f"{ref!r} is not a commit of {self.toplevel}") from None

    def tree(self, ref: str) -> str:
        """The id of the tree of ``ref`` under the prefix (the whole tree when there is no prefix)."""
        spec = f"{self.commit(ref)}:{self.prefix}" if self.prefix else f"{self.commit(ref)}^{{tree}}"
        try:
            return run_git(["rev-parse", "--verify", "--quiet", spec], self.toplevel).strip()
        except InputError:
            return ""

    def worktree_clean(self) -> bool:
        """No tracked change and no untracked (not ignored) file under the prefix."""
        args = ["status", "--porcelain", "-z", "--untracked-files=all", "--", self.prefix or "."]
        return run_git(args, self.toplevel) == ""

    def extract(self, ref: str, dest: Path) -> Path:
        """Write the files of ``ref`` into ``dest`` (from Git's objects); return the repository directory."""
        self._extract_commit(self.commit(ref), dest)
        return self._root(dest)

    def start_extract(self, ref: str, dest: Path) -> Extraction:
        """``extract`` running beside the caller (``git archive | tar -x``, on the other core while the
        caller builds the other side); ``Extraction.wait`` gives the repository directory."""
        return Extraction(self, self.commit(ref), dest)

    def _extract_commit(self, commit: str, dest: Path) -> None:
        data = run_git_bytes(["archive", "--format=tar", commit], self.toplevel)
        dest.mkdir(parents=True, exist_ok=True)
        if not _untar(data, dest):
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
                tar.extractall(dest, filter="data")

    def _root(self, dest: Path) -> Path:
        root = dest / self.prefix if self.prefix else dest
        root.mkdir(parents=True, exist_ok=True)
        return root

    def changed_files(self, base: str, head: str | None) -> list[str]:
        """Files that differ between ``base`` and ``head`` (the work tree with untracked files when None),
        relative to the prefix, sorted. A rename lists both names."""
        pathspec = ["--", self.prefix or "."]
        args = ["diff", "--name-only", "-z", "--no-renames", self.commit(base)]
        if head is not None:
            args.append(self.commit(head))
        names = set(_split_z(run_git(args + pathspec, self.toplevel)))
        if head is None:
            untracked = ["ls-files", "--others", "--exclude-standard", "-z", *pathspec]
            names.update(_split_z(run_git(untracked, self.toplevel)))
        out = []
        for name in names:
            if self.prefix:
                if not name.startswith(self.prefix + "/"):
                    continue
                name = name[len(self.prefix) + 1 :]
            out.append(name)
        return sorted(out)


class Extraction:
    """An extraction of one commit in progress: ``git archive`` piped into the system ``tar``. When the
    pipeline cannot start or fails, ``wait`` extracts the way ``GitRepo.extract`` does (so git's own error
    is reported); ``stop`` ends it early (the caller failed), so that nothing writes into a folder being
    removed."""

    def __init__(self, git: GitRepo, commit: str, dest: Path) -> None:
        self._git, self._commit, self._dest = git, commit, dest
        self._procs: list[subprocess.Popen[bytes]] = []
        dest.mkdir(parents=True, exist_ok=True)
        tar = shutil.which("tar")
        if tar is None:
            return
        archive: subprocess.Popen[bytes] | None = None
        try:
            archive = subprocess.Popen(
                ["git", "-c", "core.quotepath=off", "archive", "--format=tar", commit],
                cwd=git.toplevel,
                env=_git_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            untar = subprocess.Popen(
                [tar, "-x", "-f", "-", "-C", str(dest), "--no-same-owner", "--no-same-permissions"],
                stdin=archive.stdout,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError:  # wait() extracts in-process
            if archive is not None:
                archive.kill()
                archive.wait()
        else:
            self._procs = [archive, untar]
        finally:
            if archive is not None and archive.stdout is not None:
                archive.stdout.close()  # tar holds the pipe now; git sees it close if tar ends

    def wait(self, timeout: float = 300) -> Path:
        """The repository directory of the extracted commit, once every file is written."""
        ok = len(self._procs) == 2
        try:
            for proc in reversed(self._procs):
                ok = proc.wait(timeout=timeout) == 0 and ok
        except subprocess.TimeoutExpired:
            ok = False
        finally:
            self.stop()
        if not ok:  # start again, in-process, from an empty folder
            shutil.rmtree(self._dest, ignore_errors=True)
            self._git._extract_commit(self._commit, self._dest)
        return self._git._root(self._dest)

    def stop(self) -> None:
        for proc in self._procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        self._procs = []


def mirror_remotes(urls: tuple[str, ...], root: Path) -> None:
    """Give an extracted side the remote URLs of the work tree (a ``.git/config`` holding only them), so
    that a GitRepository pointing at this repository is recognised on both sides alike."""
    if not urls:
        return
    git_dir = root / ".git"
    git_dir.mkdir(exist_ok=True)
    text = "".join(f'[remote "r{i}"]\n\turl = https://{url}\n' for i, url in enumerate(urls))
    (git_dir / "config").write_text(text, encoding="utf-8")


def scratch_dir() -> str | None:
    """Where to check out another ref: a memory-backed folder when there is one (``$XDG_RUNTIME_DIR``,
    ``/dev/shm``), since writing a thousand small files to disk can cost a second; None for the default
    temporary folder. The checkout is a private (0700) folder removed when the command ends."""
    for candidate in (os.environ.get("XDG_RUNTIME_DIR", ""), "/dev/shm"):
        if candidate and os.path.isdir(candidate) and os.access(candidate, os.W_OK | os.X_OK):
            return candidate
    return None


def _untar(data: bytes, dest: Path) -> bool:
    """Extract ``git archive``'s tar with the system tar (several times faster than Python's); False when
    there is none or it fails (then Python's ``tarfile`` with its ``data`` filter does it). A Git tree holds
    no absolute name, no ``..`` and no entry below a symlink, so nothing lands outside ``dest``."""
    tar = shutil.which("tar")
    if tar is None:
        return False
    try:
        proc = subprocess.run(
            [tar, "-x", "-f", "-", "-C", str(dest), "--no-same-owner", "--no-same-permissions"],
            input=data,
            capture_output=True,
            check=False,
            timeout=300,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0


def _split_z(text: str) -> list[str]:
    return [part for part in text.split("\0") if part]


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(var, None)
    env["GIT_OPTIONAL_LOCKS"] = "0"  # `git status` must not write the index either
    env["LC_ALL"] = "C"
    return env


def run_git_bytes(args: list[str], cwd: Path) -> bytes:
    """Run ``git ARGS`` in ``cwd``; its stdout. InputError (with git's message) when it fails."""
    try:
        proc = subprocess.run(
            ["git", "-c", "core.quotepath=off", *args],
            cwd=cwd,
            env=_git_env(),
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise UsageError("`git` is not installed: `homeops diff` needs it to read revisions") from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip() or f"git {args[0]} failed"
        raise InputError(f"git {args[0]}: {message}")
    return proc.stdout


def run_git(args: list[str], cwd: Path) -> str:
    """``run_git_bytes`` decoded as UTF-8."""
    return run_git_bytes(args, cwd).decode("utf-8", "replace")
