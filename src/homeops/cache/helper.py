"""A helper process that fills this run's cache from the other end of its work.

A cold run spends its time on two lists of independent work: the repository's files to parse, and the
Kustomizations of the tree to build. ``Helper.start`` forks the process (the helper shares everything
loaded so far, copy-on-write) and runs ``work`` in the child, which takes the list from its far end and
sends each result as a cache entry (key, blob) through a pipe. The parent goes on from the near end as
if alone; before each item it takes what has arrived (``receive``, never blocking) into its cache, where
its own lookup finds it. The cache keys hold every input of an item, so an entry the helper made under
other conditions (a Kustomization whose substitution sources it had not built yet) is simply not found,
and the parent builds that item itself: the output is the same with or without the helper.

The helper writes nothing but its pipe: its stdout and stderr go to /dev/null, and it leaves with
``os._exit``, running no exit handlers, finalizers or buffered writes of the parent. ``stop`` kills and
reaps it; a helper whose parent died gets EPIPE on its next send and leaves. Only on systems with
``fork``, with at least two usable CPUs and a single thread, and unless ``HOMEOPS_HELPERS=0``.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import struct
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

Send = Callable[[Any, bytes], None]
_HEADER = struct.Struct("<I")


def available() -> bool:
    """Whether a helper can run here and would have a CPU of its own (``HOMEOPS_HELPERS=0``: never)."""
    if os.environ.get("HOMEOPS_HELPERS", "").strip().lower() in ("0", "false", "no", "off"):
        return False
    if not hasattr(os, "fork") or threading.active_count() != 1:
        return False
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return cpus >= 2


class Helper:
    """The parent's end of one helper process (see the module docstring)."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.fd = fd
        self.received = 0
        self._buf = bytearray()

    @classmethod
    def start(cls, work: Callable[[Send], None]) -> Helper | None:
        """Fork a helper that runs ``work(send)``; None when no helper can run."""
        if not available():
            return None
        read_fd, write_fd = os.pipe()
        _widen(write_fd)
        try:
            pid = os.fork()
        except OSError:
            os.close(read_fd)
            os.close(write_fd)
            return None
        if pid == 0:  # pragma: no cover - the child; its results are checked through the parent
            _run_child(read_fd, write_fd, work)
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        return cls(pid, read_fd)

    @property
    def finished(self) -> bool:
        """Whether the helper has sent everything it will send (it left, or was stopped)."""
        return self.fd < 0

    def receive(self) -> Iterator[tuple[Any, bytes]]:
        """The entries that have arrived so far (never waits)."""
        if self.fd < 0:
            return
        while True:
            try:
                chunk = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                break
            except OSError:
                chunk = b""
            if not chunk:  # the helper is done (or gone)
                os.close(self.fd)
                self.fd = -1
                break
            self._buf += chunk
        buf, at = self._buf, 0
        while len(buf) - at >= _HEADER.size:
            (size,) = _HEADER.unpack_from(buf, at)
            if len(buf) - at - _HEADER.size < size:
                break
            start = at + _HEADER.size
            try:
                key, blob = pickle.loads(bytes(buf[start : start + size]))
            except Exception:  # a damaged message: skipped (the parent builds the item itself)
                key, blob = None, b""
            at = start + size
            if key is not None and isinstance(blob, bytes):
                self.received += 1
                yield key, blob
        del buf[:at]

    def wait(self, timeout: float) -> Iterator[tuple[Any, bytes]]:
        """Everything the helper sends until it leaves, waiting at most ``timeout`` seconds in all (then
        it is stopped, and what it had not sent is the caller's to do)."""
        deadline = time.monotonic() + timeout
        while self.fd >= 0:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                yield from self.receive()
        self.stop()

    def stop(self) -> None:
        """Kill and reap the helper; what it has not sent is dropped. Stopping it again does nothing (its
        pid, once reaped, may be another process's)."""
        if self.pid > 0:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(self.pid, 0)
            self.pid = 0
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1


_PIPE_SIZE = 1 << 20
"""The pipe's buffer (Linux: ``F_SETPIPE_SZ``, at most ``/proc/sys/fs/pipe-max-size``, 1 MiB by default).
With the default 64 KiB, a helper waits on a full pipe until the parent's next ``receive`` (once per item
the parent takes on), and a cold build sends over a megabyte: the helper spent a fifth of its time blocked."""


def _widen(fd: int) -> None:
    """Give the pipe ``_PIPE_SIZE`` of buffer where the system allows (else the default stays)."""
    import fcntl

    setsize = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setsize is None:
        return
    for size in (_PIPE_SIZE, _PIPE_SIZE // 4):
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, setsize, size)
            return


def _run_child(read_fd: int, write_fd: int, work: Callable[[Send], None]) -> None:  # pragma: no cover
    code = 0
    try:
        os.close(read_fd)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        signal.signal(signal.SIGINT, signal.SIG_DFL)

        def send(key: Any, blob: bytes) -> None:
            message = pickle.dumps((key, blob), protocol=pickle.HIGHEST_PROTOCOL)
            data = memoryview(_HEADER.pack(len(message)) + message)
            while data:
                written = os.write(write_fd, data)
                data = data[written:]

        work(send)
    except BaseException:  # whatever happens, the helper only leaves
        code = 1
    finally:
        os._exit(code)
