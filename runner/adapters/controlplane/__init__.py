"""The recording control plane (Hasura GraphQL): the only package that speaks its wire.

- `client`: `ControlPlane`, the core's `StateStore` (read, write) and the camera list.
- `transport`: gql over httpx, retries, one-line errors (`GraphQLClient`).
- `documents`: every GraphQL document, and the builder of the apply mutation.
- `wire`: timestamps, column names, filters, insert objects and constraint names.
- `versions`: the compare-and-set version rows.
- `leases`: the campaigns' lease rows (one driver per campaign), the core's `LeaseStore`.
- `state`: answers parsed into the core's `Actual*` values.
- `burst`: the hot path of `campaign run` (pre-serialised state mutations).
"""

from runner.adapters.controlplane.burst import Endpoint, SessionStates
from runner.adapters.controlplane.client import ControlPlane
from runner.adapters.controlplane.leases import ControlPlaneLeases
from runner.adapters.controlplane.transport import ControlPlaneConfig

__all__ = ["ControlPlane", "ControlPlaneConfig", "ControlPlaneLeases", "Endpoint", "SessionStates"]
