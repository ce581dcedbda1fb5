"""The sandbox: a local emulator of the recording control plane (Hasura GraphQL) and the
fleet recordings API, served by `campaign sandbox serve` or used in-process.

    app.py             create_app(): the ASGI app, test control, faults, stats, clock
    execution.py       one GraphQL request: validation (graphql-core), the selection walk
    schema.py          the executable schema of a naming convention (scalars, spellings)
    naming.py          Hasura's naming conventions (vendor, hasura-default, graphql-default)
    scalars.py         input values -> stored values by Postgres' and Hasura's rules
    documents.py       which operation of a document runs, which variables it uses
    errors.py          HasuraError and graphql-core's wording translated into Hasura's
    sql.py             where / order_by / distinct_on -> SQL
    writes.py          inserts, upserts, updates, deletes; constraint-violation wording
    coerce.py          fast variable coercion, graphql-core as the fallback
    fleet.py           /api/v1/fleet/ recordings and devices
    devices.py         device simulation (Started sessions record on fleet devices)
    seed.py            deterministic demo seed and bulk recordings
    store.py           the SQLite schema and connection
    tables.py, sdl.py  the one table definition and the SDL built from it
    server.py          uvicorn helpers (foreground and background thread)

It shares no code with the product's clients, and the core never imports it.
"""
