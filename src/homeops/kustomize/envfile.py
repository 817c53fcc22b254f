"""The key/value sources of kustomize's generators: literals, file sources and env files.

These follow kustomize v5.7.1 (``api/kv``) as observed with ``kubectl kustomize``:

* a literal is ``KEY=VALUE`` split at the first ``=``; a value wrapped in a matching pair of ``"`` or ``'``
  loses that one pair; an empty key or a missing ``=`` is an error. Keys are not validated.
* a file source is ``path`` (the key is the path's base name) or ``key=path``.
* an env file is read line by line (``\\n`` or ``\\r\\n``); a UTF-8 BOM is dropped from the first line;
  leading white space is trimmed; blank lines and lines starting with ``#`` are skipped; the rest is split
  at the first ``=``, the value kept verbatim (no quote stripping, no ``export`` handling, trailing blanks
  kept). A line without ``=`` gives an empty value (the environment is *not* consulted) and a line with an
  empty key is skipped. A line that is not valid UTF-8 is an error.

Errors are raised as ``ValueError`` carrying kustomize's wording; callers add the location.
"""

from __future__ import annotations

from homeops.kustomize.kyamlpath import go_quote

# Go's unicode.IsSpace: the Unicode White_Space property.
_GO_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)

MAX_ENV_LINE = 64 * 1024
"""bufio.Scanner's token limit: kustomize silently stops reading an env file at a longer line."""


def parse_literal(source: str) -> tuple[str, str]:
    """Split a ``KEY=VALUE`` literal source; raises ValueError as kustomize does."""
    if "=" not in source or source.startswith("="):
        raise ValueError(f"invalid literal source {source}, expected key=value")
    key, _, value = source.partition("=")
    return key, remove_quotes(value)


def remove_quotes(value: str) -> str:
    """Drop one pair of surrounding quotes when both ends carry the same quote character."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def go_path_base(path: str) -> str:
    """Go's ``path.Base``: the last element, trailing slashes removed; ``.`` for an empty path."""
    if path == "":
        return "."
    stripped = path.rstrip("/")
    if stripped == "":
        return "/"
    return stripped.rsplit("/", 1)[-1]


def parse_file_source(source: str) -> tuple[str, str]:
    """Split a file source into (key, path); the key defaults to the path's base name."""
    sep = source.find("=")
    if sep == -1:
        return go_path_base(source), source
    if sep == 0:
        raise ValueError(
            f"missing key name for file path {go_quote(source[1:])} in source {go_quote(source)}"
        )
    key, path = source[:sep], source[sep + 1 :]
    if "=" in path and not path.startswith(("http://", "https://")):
        raise ValueError(f"source {go_quote(source)} key name or file path contains '='")
    if path == "":
        raise ValueError(f"missing file path for key name {go_quote(key)} in source {go_quote(source)}")
    return key, path


def _scan_lines(content: bytes) -> list[bytes]:
    """bufio.ScanLines: split at ``\\n``, drop one trailing ``\\r``, no empty token after a final newline."""
    lines = content.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    out: list[bytes] = []
    for line in lines:
        if len(line) >= MAX_ENV_LINE:
            break  # the scanner fails with "token too long" and kustomize ignores the error
        out.append(line[:-1] if line.endswith(b"\r") else line)
    return out


def parse_env_file(content: bytes) -> list[tuple[str, str]]:
    """Key/value pairs of an env file, in file order (duplicates kept; the caller rejects them)."""
    pairs: list[tuple[str, str]] = []
    for index, raw in enumerate(_scan_lines(content)):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            shown = raw.decode("utf-8", errors="replace")
            raise ValueError(f"line {_go_bytes(raw)} has invalid utf8 bytes : {shown}") from None
        if index == 0 and text.startswith("\ufeff"):
            text = text[1:]
        text = text.lstrip("".join(_GO_SPACE))
        if not text or text[0] == "#":
            continue
        key, _, value = text.partition("=")
        if not key:
            continue
        pairs.append((key, value))
    return pairs


def _go_bytes(raw: bytes) -> str:
    """Go's ``%v`` of a byte slice: ``[65 61 255]``."""
    return "[" + " ".join(str(b) for b in raw) + "]"
