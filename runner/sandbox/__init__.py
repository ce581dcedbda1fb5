"""The sandbox: a local emulator of the recording control plane (Hasura GraphQL) and the
fleet recordings API, served by `campaign sandbox serve` or used in-process.

    app.py             create_app(): the ASGI app, test control, faults, stats, clock
    graphql_engine.py  Hasura semantics compiled to SQLite (validation via graphql-core)
    coerce.py          fast variable coercion, graphql-core as the fallback
    fleet.py           /api/v1/fleet/ recordings and devices
    devices.py         device simulation (Started sessions record on fleet devices)
    seed.py            deterministic demo seed and bulk recordings
    store.py           the SQLite schema and connection
    tables.py, sdl.py  the one table definition and the SDL built from it
    server.py          uvicorn helpers (foreground and background thread)

It shares no code with the product's clients, and the core never imports it.
"""
