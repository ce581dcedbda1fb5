"""`campaign validate --jobs N`: worker processes change the time taken, never the output."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runner.cli import main
from runner.spec import loader
from runner.spec.capabilities import default_capabilities
from tests.spec.corpus import BASE, CASES

NOW = ["--now", "2026-11-22T00:00:00Z"]


def mixed_files(root: Path) -> list[str]:
    """More than PARALLEL_MIN_FILES files in two folders: valid ones, every corpus error,
    warnings, duplicate names, camera conflicts across files, an empty file, two documents
    in one file; plus a path that does not exist (given explicitly, as users do)."""
    for sub in ("a", "b"):
        (root / sub).mkdir()
    written = 0
    for i, case in enumerate(CASES):
        text = case.text if isinstance(case.text, bytes) else case.text.encode()
        if case.code != "CMP101":  # 2 MB each: the pool test needs no such bulk
            (root / "a" / f"case-{i:03d}.yaml").write_bytes(text)
            written += 1
    for i in range(loader.PARALLEL_MIN_FILES):
        text = BASE.replace("name: demo", f"name: demo-{i:03d}")
        if i % 7:  # every 7th file books the same camera (CMP610 across files)
            text = text.replace('"844212070924"', f'"84421207{i:04d}"')
        if i % 11 == 0:
            text = text.replace("2026-12-01", "2020-12-01")  # CMP205 warnings
        if i % 13 == 0:
            text = text.replace(f"name: demo-{i:03d}", "name: demo-001")  # CMP118
        if i % 17 == 0:
            text += "---\n" + BASE.replace("name: demo", f"name: second-{i:03d}").replace(
                '"844212070924"', f'"99{i:010d}"'
            )
        (root / "b" / f"ok-{i:03d}.yaml").write_text(text)
        written += 1
    (root / "b" / "empty.yaml").write_text("# nothing here\n")
    assert written + 1 >= loader.PARALLEL_MIN_FILES
    return [str(root / "a"), str(root / "b"), str(root / "missing.yaml")]


def cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "runner", "validate", *args], capture_output=True, check=False
    )


@pytest.mark.slow
@pytest.mark.parametrize("output", ["text", "json", "github"])
def test_parallel_output_is_byte_identical_to_serial(tmp_path: Path, output: str) -> None:
    paths = mixed_files(tmp_path)
    serial = cli("-o", output, "--jobs", "1", *NOW, *paths)
    parallel = cli("-o", output, "--jobs", "2", *NOW, *paths)
    default = cli("-o", output, *NOW, *paths)
    assert serial.returncode == 1  # the corpus errors
    for run in (parallel, default):
        assert (run.returncode, run.stdout, run.stderr) == (
            serial.returncode, serial.stdout, serial.stderr
        )
    if output == "text":
        text = serial.stdout.decode()
        for code in ("CMP100", "CMP109", "CMP117", "CMP118", "CMP205", "CMP610", "CMP612"):
            assert f" {code}: " in text, code


def test_worker_processes_return_the_serial_result(tmp_path: Path) -> None:
    # The pool path itself (not a fallback to this process) gives the same LoadResult,
    # campaigns' locations included (they do not take part in Campaign equality).
    paths = mixed_files(tmp_path)
    files = loader.expand_paths(paths)
    now = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)
    caps = default_capabilities()
    pooled = loader._load_in_processes(files, now, caps, jobs=2)
    serial = loader._load(((f, loader._read(f)) for f in files), now, caps)
    assert pooled is not None
    assert pooled == serial
    assert [c.locations for c in pooled.campaigns] == [c.locations for c in serial.campaigns]
    assert len(serial.campaigns) > loader.PARALLEL_MIN_FILES // 2


def test_valid_run_exits_zero_with_jobs(tmp_path: Path) -> None:
    for i in range(loader.PARALLEL_MIN_FILES):  # each on its own camera and device
        text = BASE.replace("name: demo", f"name: demo-{i:03d}")
        text = text.replace('"844212070924"', f'"84421207{i:04d}"')
        (tmp_path / f"c{i:03d}.yaml").write_text(text.replace("_001", f"_{i:03d}"))
    serial, parallel = cli("-j", "1", *NOW, str(tmp_path)), cli("-j", "2", *NOW, str(tmp_path))
    assert serial.returncode == parallel.returncode == 0
    assert serial.stdout == parallel.stdout == (
        f"{loader.PARALLEL_MIN_FILES} files, {loader.PARALLEL_MIN_FILES} campaigns: "
        "0 errors, 0 warnings\n"
    ).encode()


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5", "", "257", "99999999999999999999"])
def test_bad_jobs_is_a_one_line_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, value: str
) -> None:
    (tmp_path / "c.yaml").write_text(BASE)
    with pytest.raises(SystemExit) as info:
        main(["validate", "--jobs", value, str(tmp_path)])
    out, err = capsys.readouterr()
    assert info.value.code == 2
    assert out == ""
    assert err.startswith(f"error: --jobs {value!r} is not a number of processes from 1 to")
    assert err.count("\n") == 1


def test_jobs_is_documented_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["validate", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "-j, --jobs N" in out and "default: one per CPU core" in out


@pytest.mark.parametrize("edge", [False, True])
def test_worker_processes_validate_as_this_process_does(tmp_path: Path, edge: bool) -> None:
    # validate's fast path: workers send back diagnostics and each campaign's CampaignUse
    # only, and build again just the campaigns the cross-campaign checks expand (all of
    # them near datetime's edges). It must report what the whole-campaign path does.
    paths = mixed_files(tmp_path)
    now: dt.datetime | None = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)
    if edge:  # a window in year 1: the cross-campaign checks take every campaign
        now = None
        text = BASE.replace("name: demo", "name: ancient").replace("2026-12-01", "0001-01-02")
        (tmp_path / "b" / "ancient.yaml").write_text(text.replace('"844212070924"', '"1"'))
    files = loader.expand_paths(paths)
    caps = default_capabilities()
    pooled = loader._validate_in_processes(files, paths, now, caps, jobs=2)
    serial = loader.validate_campaigns(paths, now=now, capabilities=caps, jobs=1)
    assert pooled is not None
    assert pooled == serial
    codes = {d.code for d in serial.diagnostics}
    assert {"CMP610", "CMP612"} <= codes  # from campaigns the workers built again
    assert len(serial.names) > loader.PARALLEL_MIN_FILES // 2
    assert ("ancient" in serial.names) is edge


def test_a_file_changed_between_the_two_reads_is_checked_in_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Workers build a campaign again from its file only if the file still has the digest
    # it had when checked; here it never has (as if every file changed in between).
    paths = mixed_files(tmp_path)
    now = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)
    caps = default_capabilities()
    serial = loader.validate_campaigns(paths, now=now, capabilities=caps, jobs=1)
    monkeypatch.setattr(loader, "_digest", lambda data: os.urandom(16))  # forked: inherited
    files = loader.expand_paths(paths)
    assert loader._validate_in_processes(files, paths, now, caps, jobs=2) is None
    assert loader.validate_campaigns(paths, now=now, capabilities=caps, jobs=2) == serial
