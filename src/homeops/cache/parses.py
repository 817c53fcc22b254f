"""The parse cache: every YAML file of a repository as homeops' loader parsed it, by content hash.

Loading a repository parses every YAML file it holds (over a thousand in a large home-ops repository);
most of them do not change between two runs. The parsed documents (with their positions) are kept in one
pack (see ``homeops.cache.packs``) per repository and working directory in the build cache, ``p<key>``,
holding ``{(content hash, path under the root): pickled documents}``, and for each file the index of its
objects (kind, name, namespace, line: ``homeops.flux.repository.EntryIndex``), so that a warm run knows every
object of the repository and reads the documents only of the files it uses. A file whose bytes are not in
the pack is parsed and added. The key of each file is its content, so a changed file is never served
stale; positions are stored relative to the root, so a checkout of another ref (``diff``'s base) shares
the pack of its work tree.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeops import __version__
from homeops.cache.nodes import TreeLoader, dumps_tree
from homeops.cache.packs import Pack, pack_key
from homeops.cache.store import Store
from homeops.errors import HomeopsError
from homeops.yaml.loader import load_documents

if TYPE_CHECKING:
    from homeops.cache.helper import Helper, Send
    from homeops.cache.stats import StatMemo
    from homeops.kustomize.files import FileLoader

_FORMAT = "homeops-parse-5"
STATS_FORMAT = "homeops-stats-2"


def parse_pack_key(identity: str) -> str:
    """The store key of the parse pack of the repository ``identity`` (in this working directory)."""
    return pack_key("p", _FORMAT, __version__, identity)


class ParseStore:
    """Parsed documents of one repository by content hash and path (see the module docstring).

    ``identity`` names the repository (its root, or for a checkout of another ref the root of the work tree
    it came from, so both share one pack); ``root`` and ``prefix`` (how this run shows the root in file
    names) place the stored positions under this run's root.
    """

    def __init__(self, store: Store, identity: str, root: str, prefix: str) -> None:
        self.store = store
        self.root = root
        self.prefix = prefix
        self._tree = TreeLoader(prefix)
        self.key = parse_pack_key(identity)
        self.pack: Pack[tuple[str, str]] = Pack(store, self.key)
        self.added = 0  # files this run parsed and added
        self.helped = False  # a helper process parsed files for this run: most files were new
        self.stats: StatMemo | None = None  # the digests of the work tree's files (written with the pack)

    @classmethod
    def of_loader(cls, store: Store, loader: FileLoader, identity: str | None = None) -> ParseStore:
        """The parse cache of the files ``loader`` reads (``identity``: the repository's, when the root is
        a checkout of another ref), positions placed as ``loader`` shows its root."""
        shown = loader.display(loader.root)
        prefix = "" if shown == "." else shown.rstrip("/") + "/"
        return cls(store, identity or str(loader.root), str(loader.root), prefix)

    def _key(self, key: tuple[str, str]) -> tuple[str, str]:
        digest, display = key
        if self.prefix and display.startswith(self.prefix):
            return digest, "r:" + display[len(self.prefix) :]
        if not self.prefix and not os.path.isabs(display):
            return digest, "r:" + display
        return digest, "a:" + display

    def get(self, key: tuple[str, str]) -> list[Any] | None:
        k = self._key(key)
        blob = self.pack.get(k)
        if blob is None:
            return None
        try:
            docs = self._tree.load(blob)
        except Exception:  # a damaged blob: parsed again
            self.pack.forget(k)
            return None
        return docs if isinstance(docs, list) else None

    def _index_key(self, key: tuple[str, str]) -> tuple[str, str]:
        digest, name = self._key(key)
        return digest, "i" + name

    def index(self, key: tuple[str, str]) -> Any:
        """What ``put_index`` kept for the file of ``key`` (its entries without their objects), else None."""
        k = self._index_key(key)
        blob = self.pack.get(k)
        if blob is None:
            return None
        try:
            return pickle.loads(blob)
        except Exception:  # a damaged blob: indexed again
            self.pack.forget(k)
            return None

    def put_index(self, key: tuple[str, str], index: Any) -> None:
        """Keep ``index`` (plain tuples) for the file of ``key``."""
        self.pack.put(self._index_key(key), pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL))

    def put(self, key: tuple[str, str], docs: list[Any]) -> None:
        try:
            blob = dumps_tree(docs, self.prefix)
        except Exception:  # something that cannot be stored: parsed again next time
            return
        self.pack.put(self._key(key), blob)
        self.added += 1

    def flush(self) -> None:
        """Write the pack when this run added a file (see ``homeops.cache.packs``), and the stat memo."""
        self.pack.flush()
        if self.stats is not None:
            self.stats.flush()

    def take(self, helper: Helper) -> None:
        """Add what a helper process parsed meanwhile (see ``fill_from_end``)."""
        self.pack.take(helper.receive())

    def fill_from_end(
        self, files: list[Path], loader: FileLoader, send: Send, index_of: Callable[[list[Any], Path], Any]
    ) -> None:
        """In a helper process: parse ``files`` last first, sending each one the pack lacks with its index
        (``index_of`` the documents, what ``put_index`` keeps), so that the parent unpickles the documents
        only of the files it uses."""
        for path in reversed(files):
            try:
                found = loader.parse_key(path)
                key = self._key(found)
                if self.pack.get(key) is not None:
                    continue
                docs = load_documents(loader.read_bytes(path), found[1])
                blob = dumps_tree(docs, self.prefix)
                index = pickle.dumps(index_of(docs, path), protocol=pickle.HIGHEST_PROTOCOL)
                send(key, blob)
                send(self._index_key(found), index)
            except HomeopsError:  # the parent reports it when it parses the file
                continue
