"""The one exception hierarchy. The CLI maps these to exit codes in exactly one place.

Every message is one line that says what went wrong, where, and what to do about it.
Messages must never contain secrets.
"""

from __future__ import annotations


class CampaignError(Exception):
    """Base of every error the tool reports to users (exit code 1)."""

    exit_code = 1


class UsageError(CampaignError):
    """Bad flags or arguments (exit code 2)."""

    exit_code = 2


class ConfigError(CampaignError):
    """Backend or tool configuration is missing or unsafe (env, campaign.toml)."""


class SpecError(CampaignError):
    """Campaign files are invalid; carries the diagnostics that say where."""

    def __init__(self, message: str, diagnostics: object = None) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics


class BackendError(CampaignError):
    """A backend failed or answered something we cannot use."""


class ControlPlaneError(BackendError):
    """The recording control plane (GraphQL) returned errors or was unreachable."""


class FleetError(BackendError):
    """The fleet recordings API returned errors or was unreachable."""


class PlanError(CampaignError):
    """A plan cannot be made or applied as asked (stale, unsafe, refused)."""


class LockError(CampaignError):
    """Another apply holds the campaign's lock past --lock-timeout."""


class CameraError(CampaignError):
    """Camera discovery failed (driver or library missing)."""
