"""Hostile repositories through the CLI: `kustomize`, `build all` and `validate` exit 0, 1 or 2 (never 3, an
internal error), and a failure names the file and line of the hostile input."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeops.cli.main import main
from tests.hostile.repos import CASES, Case, write

COMMANDS = ("kustomize", "build", "validate")


def _params() -> list[object]:
    params: list[object] = []
    for case in CASES:
        for command in COMMANDS:
            marks = []
            if command in case.pending:
                marks.append(pytest.mark.xfail(strict=True, reason="needs: " + case.pending[command]))
            params.append(pytest.param(case, command, marks=marks, id=f"{case.name}-{command}"))
    return params


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    code = exc.value.code
    return (code if isinstance(code, int) else 0), out.out + out.err


@pytest.mark.parametrize(("case", "command"), _params())
def test_hostile_repository_never_exits_3(
    case: Case,
    command: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = write(case, tmp_path / "repos")
    monkeypatch.chdir(repo)
    out_dir = tmp_path / "out"
    if command == "kustomize":
        argv = ["kustomize", str(repo / "apps")]
    elif command == "build":
        argv = ["build", "all", "--repo", str(repo), "--output-dir", str(out_dir)]
    else:
        argv = ["validate", "--repo", str(repo)]
    code, output = _run(argv, capsys)
    assert code in (0, 1, 2), output[:2000]
    assert "internal error" not in output
    if out_dir.is_dir():  # the table may cut a message: the .err files hold it whole
        output += "".join(f.read_text() for f in sorted(out_dir.rglob("*.err")))
    if command == "kustomize" and case.kustomize_ok:
        assert code == 0, output[:2000]
    elif code != 0 and case.where:
        assert case.where in output, output[:2000]
    if not case.where:  # accepted input (kubectl accepts it too): every command succeeds
        assert code == 0, output[:2000]
