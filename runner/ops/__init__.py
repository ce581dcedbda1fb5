"""Use cases: what each command does, as functions of values.

Each takes campaigns (already loaded), the backends (`ops.backends.Backends`, a protocol the
wiring satisfies), a clock or `now`, and options; each returns a result value. Nothing here
prints, reads the environment or knows click: the CLI renders the results, and the agent
calls the same functions.

- `plan`: plan the control plane and the fleet recordings.
- `apply`: apply campaigns or a saved plan (with its refusals); `destroy`.
- `status`: the campaigns' sessions, states and next transitions.
- `trigger`: switch a manual or standby session by hand.
- `run`: drive burst recording.
- `leases`: hold campaigns' leases (one driver per campaign): `hold_leases`.
- `cameras`: the cameras the control plane knows, and the connected ones.
"""
