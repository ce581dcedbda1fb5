"""Packaging glue that pyproject.toml cannot express: ship top-level `schemas/` inside the wheel.

Everything else is declared in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["runner", "runner.*"]), "runner.schemas"],
    package_dir={"runner.schemas": "schemas"},
    package_data={"runner": ["py.typed"], "runner.schemas": ["*.json", "*.yaml", "*.graphql"]},
)
