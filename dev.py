#!/usr/bin/env python3
"""One-step set-up and tasks for a fresh clone: needs only python3.

    python3 dev.py demo   # create .venv, install, apply the demo campaigns to the embedded sandbox
    python3 dev.py test   # create .venv, install, run the whole test suite

Set-up is idempotent and skipped when nothing changed (pyproject.toml hash).
"""

from __future__ import annotations

import ctypes.util
import hashlib
import os
import shutil
import subprocess
import sys
import venv
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed"
# Debian packages the test suite needs, each with how to tell it is there: pyrealsense2 links
# against libusb; the timeline's HTML test takes a screenshot with headless Chromium.
DEBIAN_PACKAGES: dict[str, Callable[[], bool]] = {
    "libusb-1.0-0": lambda: ctypes.util.find_library("usb-1.0") is not None,
    "chromium": lambda: shutil.which("chromium") is not None,
}
# The main job on the embedded sandbox: check the example campaigns, apply them (a plan, then
# the changes), and apply again to show that a second run changes nothing.
DEMO: list[list[str]] = [
    ["validate", "campaigns/"],
    ["apply", "campaigns/", "--sandbox", "--auto-approve"],
    ["apply", "campaigns/", "--sandbox", "--auto-approve"],
]


def sh(*args: str | Path, **kw: object) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, **kw)  # type: ignore[call-overload]


def ensure_debian_packages() -> None:
    missing = [pkg for pkg, installed in DEBIAN_PACKAGES.items() if not installed()]
    if not missing:
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        sh("apt-get", "update", "-qq")
        sh(
            "apt-get",
            "install",
            "-y",
            "-qq",
            *missing,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    else:
        print(
            f"note: install the Debian package(s) {' '.join(missing)} (sudo apt-get install "
            f"{' '.join(missing)}) to run the RealSense and timeline screenshot tests",
            file=sys.stderr,
        )


def ensure_venv(extra: str) -> None:
    """Install the project with `extra` unless the same packaging files were installed with it
    (or with `dev`, which includes every other extra)."""
    packaging = b"".join((ROOT / name).read_bytes() for name in ("pyproject.toml", "setup.py"))
    digest = hashlib.sha256(packaging).hexdigest()
    if STAMP.exists() and STAMP.read_text() in (f"{digest} {extra}", f"{digest} dev"):
        return
    if not (BIN / "python").exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    sh(BIN / "python", "-m", "pip", "install", "-q", "--upgrade", "pip")
    sh(BIN / "python", "-m", "pip", "install", "-q", "-e", f".[{extra}]")
    STAMP.write_text(f"{digest} {extra}")


def main(argv: list[str]) -> int:
    task = argv[0] if argv else "help"
    rest = argv[1:]
    if task == "demo":
        ensure_venv("realsense")
        for command in DEMO:
            print("$ campaign", " ".join(command), flush=True)
            rc = subprocess.call([str(BIN / "campaign"), *command, *rest], cwd=ROOT)
            if rc != 0:
                return rc
        return 0
    if task == "test":
        ensure_debian_packages()
        ensure_venv("dev")
        return subprocess.call([str(BIN / "python"), "-m", "pytest", *rest], cwd=ROOT)
    if task == "lint":
        ensure_venv("dev")
        rc = subprocess.call([str(BIN / "ruff"), "check", "runner", "tests", "bench"], cwd=ROOT)
        rc = rc or subprocess.call([str(BIN / "mypy")], cwd=ROOT)
        return rc or subprocess.call([str(BIN / "lint-imports")], cwd=ROOT)
    print(__doc__)
    return 0 if task == "help" else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
