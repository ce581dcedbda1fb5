"""The loader's input rules (issue 14): no campaigns at all is an error; `-` reads stdin."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from runner.cli import main
from runner.spec import load_campaigns, load_sources
from runner.spec.model import Location
from tests.spec.corpus import BASE

GOOD = BASE
SECOND = BASE.replace("name: demo", "name: second")


def codes(result: object) -> list[tuple[str, str]]:
    return [(d.code, d.severity) for d in result.diagnostics]  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["empty-file", "empty-dir", "dir-without-yaml", "missing"])
def test_inputs_holding_no_campaign_are_an_error_when_required(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "in"
    if kind == "empty-file":
        target.write_text("")
    elif kind != "missing":
        target.mkdir()
        if kind == "dir-without-yaml":
            (target / "notes.txt").write_text("apiVersion: campaign/v1\n")
    result = load_campaigns([target], require_campaigns=True)
    [last] = [d for d in result.diagnostics if d.code == "CMP120"]
    assert last.severity == "error" and last.location is None
    assert last.message == f"no campaigns found in {target}"
    assert not result.ok
    # Without the requirement the same inputs only warn (or report the unreadable path).
    assert "CMP120" not in [c for c, _ in codes(load_campaigns([target]))]


def test_an_empty_file_among_others_stays_a_warning(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("")
    (tmp_path / "b.yaml").write_text(GOOD)
    result = load_campaigns([tmp_path], require_campaigns=True)
    assert result.ok and codes(result) == [("CMP117", "warning")]
    assert [c.name for c in result.campaigns] == ["demo"]


def test_a_broken_file_explains_itself_without_no_campaigns_found() -> None:
    result = load_sources({"bad.yaml": "a: [\n"}, require_campaigns=True)
    assert codes(result) == [("CMP100", "error")]


def test_a_mistyped_path_among_good_ones_is_an_error_not_an_exception(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(GOOD)
    result = load_campaigns(
        [tmp_path / "good.yaml", tmp_path / "typo.yaml"], require_campaigns=True
    )
    assert codes(result) == [("CMP109", "error")]
    assert result.diagnostics[0].location == Location(str(tmp_path / "typo.yaml"), 1, 1)


def test_dash_reads_a_stream_of_documents_from_stdin_with_stdin_positions(tmp_path: Path) -> None:
    (tmp_path / "file.yaml").write_text(SECOND.replace("name: second", "name: third"))
    stream = (GOOD + "---\n" + SECOND.replace('"844212070924"', "844212070924")).encode()
    result = load_campaigns(["-", tmp_path / "file.yaml", "-"], stdin=io.BytesIO(stream))
    assert result.files == ("<stdin>", str(tmp_path / "file.yaml"))  # `-` twice reads once
    assert [c.name for c in result.campaigns] == ["demo", "third"]
    [d] = result.diagnostics
    assert (d.code, str(d.location)) == ("CMP308", "<stdin>:24:15")
    assert result.campaigns[0].location == Location("<stdin>", 1, 1)


def test_empty_stdin_holds_no_campaign() -> None:
    result = load_campaigns(["-"], stdin=io.BytesIO(b""), require_campaigns=True)
    assert codes(result) == [("CMP117", "warning"), ("CMP120", "error")]
    assert result.diagnostics[-1].message == "no campaigns found in <stdin>"


def test_validate_dash_reads_stdin_end_to_end() -> None:
    bad = BASE.replace('"844212070924"', "844212070924")
    proc = subprocess.run(
        [sys.executable, "-m", "runner", "validate", "-", "--now", "2026-11-22T00:00:00Z"],
        input=bad,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("<stdin>:8:15: error CMP308: serial 844212070924 is unquoted")
    assert proc.stdout.splitlines()[-1] == "1 file, 1 campaign: 1 error, 0 warnings"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


@pytest.mark.parametrize("missing", ["typo.yaml", "typo-dir/"])
def test_validate_no_campaigns_exit_one_with_a_json_document(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, missing: str
) -> None:
    # Before (issue 14): a mistyped path was exit 2 with nothing on stdout.
    code, out, _ = run(capsys, "validate", "-o", "json", str(tmp_path / missing))
    assert code == 1
    payload = json.loads(out)
    assert payload["valid"] is False
    assert payload["diagnostics"][-1]["code"] == "CMP120"
    assert payload["diagnostics"][-1]["message"].startswith("no campaigns found in ")
    code, out, _ = run(capsys, "validate", "-o", "github", str(tmp_path / missing))
    assert code == 1 and "::error title=CMP120::no campaigns found in" in out


def test_validate_json_on_invalid_files_is_one_document_on_stdout(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE.replace("name: demo", "name: Demo"))
    code, out, err = run(
        capsys, "validate", "-o", "json", str(bad), "--now", "2026-11-22T00:00:00Z"
    )
    assert code == 1 and err == ""
    payload = json.loads(out)
    assert [d["code"] for d in payload["diagnostics"]] == ["CMP119"]
    assert payload["summary"]["errors"] == 1
