"""campaign: a declarative runner for camera recording campaigns."""

__version__ = "0.1.0"
