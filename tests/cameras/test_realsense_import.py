"""pyrealsense2 is imported lazily, and import failures become one actionable line."""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from runner.cameras._realsense import import_error_to_camera_error
from runner.cli import COMMANDS

REPO = Path(__file__).resolve().parents[2]
# The message the dynamic loader produces when libusb is missing (see the namespace test,
# which produces it for real).
LIBUSB_MISSING = "libusb-1.0.so.0: cannot open shared object file: No such file or directory"


def python(*code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *code], capture_output=True, text=True, check=False, cwd=REPO, env=env
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["cameras", "--help"],
        ["cameras", "discover", "--help"],
        ["cameras", "list", "--help"],
        ["validate", "campaigns/"],  # without --probe: the static table only
        *([name, "--help"] for name in COMMANDS if name != "cameras"),
    ],
)
def test_cli_does_not_import_pyrealsense2_until_a_camera_is_needed(argv: list[str]) -> None:
    probe = (
        "import sys\nfrom runner.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "print('LOADED=' + str('pyrealsense2' in sys.modules))"
    )
    result = python("-c", probe)
    assert result.stdout.strip().splitlines()[-1] == "LOADED=False", result.stderr


def test_importing_the_camera_modules_does_not_import_pyrealsense2() -> None:
    probe = (
        "import sys, runner.cameras, runner.cameras.probe, runner.cameras.emulation, "
        "runner.commands.cameras\nprint('LOADED=' + str('pyrealsense2' in sys.modules))"
    )
    assert python("-c", probe).stdout.strip() == "LOADED=False"


def test_discover_does_import_it() -> None:
    probe = (
        "import sys\nfrom runner.cameras.discovery import discover\n"
        "import json, pyrealsense2 as rs\n"
        "discover(rs.context(json.dumps({'device-mask': int(rs.product_line.sw_only)})))\n"
        "print('LOADED=' + str('pyrealsense2' in sys.modules))"
    )
    assert python("-c", probe).stdout.strip() == "LOADED=True"


def test_libusb_import_error_names_the_debian_package() -> None:
    # The real loader text; the namespace test below raises it for real where it can.
    error = import_error_to_camera_error(ImportError(LIBUSB_MISSING))
    message = str(error)
    assert "libusb-1.0-0" in message and "apt-get install libusb-1.0-0" in message
    assert "\n" not in message


def test_missing_module_names_the_extra_for_real() -> None:
    # `python -S` leaves site-packages (and so pyrealsense2) off sys.path: a real
    # ModuleNotFoundError, mapped by the same code the commands use.
    probe = (
        f"import sys; sys.path.insert(0, {str(REPO)!r})\n"
        "from runner.cameras._realsense import import_realsense\n"
        "from runner.errors import CameraError\n"
        "try:\n    import_realsense()\nexcept CameraError as exc:\n    print(exc)\n"
    )
    result = python("-S", "-c", probe)
    assert result.stdout.strip() == (
        "pyrealsense2 is not installed; install the RealSense extra: "
        "pip install 'campaign-runner[realsense]'"
    ), result.stderr


def test_other_import_errors_stay_one_line() -> None:
    message = str(import_error_to_camera_error(ImportError("undefined symbol: foo\nmore")))
    assert message.startswith("pyrealsense2 failed to import (undefined symbol: foo)")
    assert "\n" not in message


def _libusb_dir() -> Path | None:
    candidates = ("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib")
    for directory in candidates:
        if (Path(directory) / "libusb-1.0.so.0").exists():
            return Path(directory).resolve()
    return None


def _hide_libusb_possible() -> str | None:
    """Why the real missing-libusb run cannot happen here (None = it can)."""
    if not sys.platform.startswith("linux"):
        return "needs Linux mount namespaces"
    if os.geteuid() != 0:
        return "needs root to mount an overlay in a private mount namespace"
    if shutil.which("unshare") is None:
        return "needs util-linux `unshare`"
    if ctypes.util.find_library("usb-1.0") is None or _libusb_dir() is None:
        return "libusb is not installed, nothing to hide"
    return None


@pytest.mark.skipif(_hide_libusb_possible() is not None, reason=str(_hide_libusb_possible()))
def test_cli_without_libusb_prints_one_line_naming_the_package(tmp_path: Path) -> None:
    """Hide libusb for real: in a private mount namespace, overlay the library directory with
    a whiteout for libusb-1.0.so.0, so the dynamic loader cannot find it."""
    namespace = subprocess.run(["unshare", "-m", "true"], capture_output=True, text=True,
                               check=False)
    if namespace.returncode != 0:
        pytest.skip(f"no private mount namespace here: {namespace.stderr.strip()}")
    libdir = _libusb_dir()
    upper, work = tmp_path / "upper", tmp_path / "work"
    upper.mkdir()
    work.mkdir()
    os.mknod(upper / "libusb-1.0.so.0", 0o600 | 0o020000, os.makedev(0, 0))  # whiteout
    script = (
        f"mount -t overlay overlay -o lowerdir={libdir},upperdir={upper},workdir={work} {libdir}"
        f" || exit 99; exec {sys.executable} -m runner cameras discover"
    )
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, check=False, cwd=REPO
    )
    if result.returncode == 99:
        pytest.skip(f"overlay mount not permitted here: {result.stderr.strip()}")
    assert result.returncode == 1
    assert result.stderr == (
        "error: pyrealsense2 cannot load libusb-1.0 (RealSense USB access); install the Debian "
        "package libusb-1.0-0: sudo apt-get install libusb-1.0-0\n"
    )
