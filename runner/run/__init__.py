"""Burst runner: drive standby sessions Standby <-> Started on an absolute schedule.

- `schedule`: pure deadlines of a burst pattern, and where a moment falls in it (resume).
- `prepare`: which session each standby campaign drives and what is left to do.
- `driver`: the async driver (one task per session, one kept-alive client, safe exit).
- the hot path itself (pre-serialised state mutations) is the control-plane adapter's
  `runner.adapters.controlplane.burst`, behind the driver's `StateSwitch` protocol.
- `stats`: lateness per transition and p50/p99/max per session.
- `state`: the run state file (resume, `campaign status`): `burst_status`.
"""

from runner.run.state import BurstStatus, burst_status, run_state_path

__all__ = ["BurstStatus", "burst_status", "run_state_path"]
