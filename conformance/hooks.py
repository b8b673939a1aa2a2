"""Schemathesis hooks for the conformance tier.

Each generated request comes from its own client address (the `CF-Connecting-IP` header
Cloudflare sets), as requests from many visitors would: the per-client rate limits are
tested by the end-to-end tests, and must not turn schema-valid requests into 429s here.
"""

import random

import schemathesis

_clients = random.Random(20261130)


@schemathesis.hook
def before_call(ctx, case, kwargs):
    headers = dict(case.headers or {})
    headers["CF-Connecting-IP"] = "203.0.113.%d" % _clients.randint(1, 254)
    case.headers = headers
