"""`campaign validate` and `campaign schema` as users, scripts and CI see them."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from runner.cli import main
from tests.spec.corpus import BASE, CASES

REPO = Path(__file__).resolve().parents[2]
BAD = BASE.replace("name: demo", "name: Demo").replace('"844212070924"', "844212070924")
NOW = ["--now", "2026-11-22T00:00:00Z"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    good = tmp_path / "good.yaml"
    good.write_text(BASE)
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    past = tmp_path / "past.yaml"
    past.write_text(BASE.replace("name: demo", "name: old").replace("2026-12-01", "2020-12-01"))
    return {"good": good, "bad": bad, "past": past}


def test_valid_file_exits_zero_with_summary(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    code, out, _ = run(capsys, "validate", str(files["good"]), *NOW)
    assert code == 0
    assert out.strip() == "1 file, 1 campaign: 0 errors, 0 warnings"


def test_errors_are_file_line_col_code_message_with_hint(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    code, out, _ = run(capsys, "validate", str(files["bad"]), str(files["good"]), *NOW)
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"{files['bad']}:4:9: error CMP119: invalid campaign name 'Demo'"
    assert lines[1].startswith("    hint: use lowercase letters")
    assert lines[2].startswith(
        f"{files['bad']}:8:15: error CMP308: serial 844212070924 is unquoted"
    )
    assert lines[-1] == "2 files, 2 campaigns: 2 errors, 0 warnings"
    assert "\x1b[" not in out  # not a terminal: no colour


def test_warnings_alone_exit_zero(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    code, out, _ = run(capsys, "validate", str(files["past"]), *NOW)
    assert code == 0
    assert "warning CMP205: window ended in the past" in out
    assert out.splitlines()[-1] == "1 file, 1 campaign: 0 errors, 1 warning"


def test_quiet_prints_only_errors(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    code, out, _ = run(capsys, "validate", "-q", str(files["past"]), *NOW)
    assert (code, out) == (0, "")
    code, out, _ = run(capsys, "validate", "--quiet", str(files["bad"]), *NOW)
    assert code == 1 and len(out.splitlines()) == 2 and "hint" not in out


def test_json_output(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    code, out, _ = run(
        capsys, "validate", "-o", "json", str(files["bad"]), str(files["past"]), *NOW
    )
    assert code == 1
    payload = json.loads(out)
    assert payload["valid"] is False
    first = payload["diagnostics"][0]
    assert first == {
        "file": str(files["bad"]),
        "line": 4,
        "column": 9,
        "severity": "error",
        "code": "CMP119",
        "message": "invalid campaign name 'Demo'",
        "hint": first["hint"],
    }
    assert [d["code"] for d in payload["diagnostics"]] == ["CMP119", "CMP308", "CMP205"]
    assert payload["campaigns"] == ["old"]
    assert payload["summary"] == {
        "files": 2,
        "campaigns": 2,
        "errors": 2,
        "warnings": 1,
        "text": "2 files, 2 campaigns: 2 errors, 1 warning",
    }


def test_github_output_is_workflow_commands(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    code, out, err = run(capsys, "validate", "-o", "github", str(files["bad"]), *NOW)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"::error file={files['bad']},line=4,col=9,title=CMP119::invalid")
    assert len(lines) == 2 and all(line.startswith("::error ") for line in lines)
    assert "2 errors" in err


def test_github_escapes_newlines_and_commas(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    odd = tmp_path / "a,b:c.yaml"
    odd.write_text("a: [\n")
    code, out, _ = run(capsys, "validate", "-o", "github", str(odd))
    assert code == 1
    assert "file=" + str(odd).replace(":", "%3A").replace(",", "%2C") + "," in out
    assert out.count("\n") == 1


def test_every_corpus_file_fails_in_one_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for i, case in enumerate(CASES):
        if case.severity == "error" and case.code not in {"CMP101"}:
            path = tmp_path / f"{i:02d}-{case.id}.yaml"
            path.write_bytes(case.text if isinstance(case.text, bytes) else case.text.encode())
    code, out, _ = run(capsys, "validate", "-o", "json", str(tmp_path), *NOW)
    assert code == 1
    payload = json.loads(out)
    reported = {
        (Path(d["file"]).name.split("-", 1)[1][:-5], d["code"]) for d in payload["diagnostics"]
    }
    for case in CASES:
        if case.severity == "error" and case.code != "CMP101":
            assert (case.id, case.code) in reported


def test_usage_errors_exit_two(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "validate")
    assert code == 2
    code, _, err = run(capsys, "validate", str(tmp_path), "--now", "yesterday")
    assert code == 2 and "--now" in err
    code, _, err = run(capsys, "validate", str(tmp_path), "--now", "2026-01-01T00:00:00")
    assert code == 2 and "offset" in err
    code, _, err = run(capsys, "validate", str(tmp_path), "-o", "xml")
    assert code == 2


def test_now_without_offset_suggests_a_value_that_parses(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    # A date alone (even with Z) parses as naive midnight; the suggestion must itself be valid.
    for given in ("2026-01-01", "2026-01-01Z", "2026-01-01T08:00"):
        code, _, err = run(capsys, "validate", str(files["good"]), "--now", given)
        assert code == 2 and "offset" in err
        suggested = err.rsplit("e.g. ", 1)[1].split()[0]
        assert "ZZ" not in suggested
        code, _, err = run(capsys, "validate", str(files["good"]), "--now", suggested)
        assert code == 0, err


def test_empty_directory_is_an_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # Before (issue 14): exit 0, "0 files, 0 campaigns: 0 errors, 0 warnings".
    code, out, _ = run(capsys, "validate", str(tmp_path))
    assert code == 1
    assert out.splitlines()[0] == f"error CMP120: no campaigns found in {tmp_path}"
    assert out.splitlines()[-1] == "0 files, 0 campaigns: 1 error, 0 warnings"


def test_probe_unavailable_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Simulate an installation without the camera module (None in sys.modules blocks import).
    monkeypatch.setitem(sys.modules, "runner.cameras.probe", None)
    code, _, err = run(capsys, "validate", "--probe", str(files["good"]), *NOW)
    assert code == 1
    assert err.startswith("error: --probe is not available") and err.count("\n") == 1


def test_schema_command_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema")
    assert code == 0
    assert json.loads(out) == json.loads((REPO / "schemas" / "campaign.schema.json").read_text())


def _tty_run(args: list[str], env: dict[str, str]) -> str:
    leader, follower = pty.openpty()
    proc = subprocess.run(
        [sys.executable, "-m", "runner", *args],
        stdout=follower,
        stderr=subprocess.PIPE,
        env=env,
        check=False,
        timeout=60,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.returncode == 1
    return b"".join(chunks).decode()


def test_colour_only_on_a_terminal_and_never_with_no_color(files: dict[str, Path]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    coloured = _tty_run(["validate", str(files["bad"])], env)
    assert "\x1b[" in coloured and "CMP119" in coloured
    plain = _tty_run(["validate", str(files["bad"])], {**env, "NO_COLOR": "1"})
    assert "\x1b[" not in plain and "CMP119" in plain


def test_no_traceback_for_binary_garbage(tmp_path: Path) -> None:
    junk = tmp_path / "junk.yaml"
    junk.write_bytes(bytes(range(256)) * 4)
    proc = subprocess.run(
        [sys.executable, "-m", "runner", "validate", str(junk)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "CMP109" in proc.stdout
