"""One TLS context for every HTTP client of the process.

httpx builds a context per client by default, loading the CA bundle each time: about 50 ms
of CPU with the GIL held. Commands open several clients (control plane, leases, the burst
hot path, fleet lanes) and the agent opens them every pass, beside burst drivers whose
transitions are due to the millisecond; so the context is built once, the way httpx builds
it (certifi's bundle, or SSL_CERT_FILE / SSL_CERT_DIR when set).
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The process's shared client TLS context (built on first use)."""
    return httpx.create_ssl_context()
