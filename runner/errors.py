"""The one exception hierarchy. The CLI maps these to exit codes in exactly one place.

    CampaignError                 exit 1 (every error the tool reports)
    ├── UsageError                exit 2: bad flags or arguments
    ├── ConfigError               env / campaign.toml missing or unsafe
    ├── SpecError                 invalid campaign files (carries the diagnostics)
    ├── BackendError              a backend failed or answered something unusable
    │   ├── ControlPlaneError     the GraphQL control plane
    │   │   ├── WriteConflict     a write lost its compare-and-set (rolled back whole)
    │   │   └── TransitionError   a session state switch failed (`retryable`)
    │   │       └── LeaseLost     refused locally: this process no longer holds the lease
    │   └── FleetError            the fleet recordings API
    ├── PlanError                 a plan cannot be made or applied as asked
    ├── LockError                 other applies held the campaigns past --lock-timeout
    ├── LeaseHeld                 another driver holds a campaign's lease (run, trigger)
    └── CameraError               camera discovery failed

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


class WriteConflict(ControlPlaneError):
    """A write was rejected on a uniqueness constraint and rolled back whole: another writer
    (or our own earlier commit whose answer was lost) got there first."""


class TransitionError(ControlPlaneError):
    """A session state change failed; `retryable` says whether sending it again can help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class FleetError(BackendError):
    """The fleet recordings API returned errors or was unreachable."""


class PlanError(CampaignError):
    """A plan cannot be made or applied as asked (stale, unsafe, refused)."""


class LockError(CampaignError):
    """Another apply holds the campaign's lock past --lock-timeout."""


class LeaseHeld(CampaignError):
    """Another process holds the lease of a campaign this one wants to drive; `holders`
    maps each such campaign to "host:pid" (the agent skips them and retries later)."""

    def __init__(self, message: str, holders: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.holders = dict(holders or {})


class LeaseLost(TransitionError):
    """A transition was not sent: this process no longer holds (or cannot prove it still
    holds) the campaign's lease, so another driver may own the session now."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


class CameraError(CampaignError):
    """Camera discovery failed (driver or library missing)."""
