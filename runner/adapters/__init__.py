"""Adapters: the product's side of each backend, behind the protocols the core declares.

- `controlplane`: the Hasura GraphQL recording control plane (every document, wire format,
  response parsing, the burst hot path's pre-serialised bodies).
- `fleet`: the fleet recordings REST API (httpx).
"""
