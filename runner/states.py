"""The recording session states of the control plane (`RecordingSessionState_enum`): one enum.

A `str` subclass, so a state compares equal to the control plane's spelling (`"Started"`),
serialises as it in JSON and prints as it in messages.
"""

from __future__ import annotations

from enum import Enum


class SessionState(str, Enum):
    """Stopped, Scheduled (the platform starts/stops it), Standby (armed), Started (recording)."""

    STOPPED = "Stopped"
    SCHEDULED = "Scheduled"
    STANDBY = "Standby"
    STARTED = "Started"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


STATES = tuple(state.value for state in SessionState)
