"""Schemathesis check: no secret reaches a response other than the .env download.

The secrets are the values the fuzzing run seeded or configured (tokens, keys, a stored
password), given in STRATA_FUZZ_SECRETS separated by newlines.
"""

import os

import schemathesis

SECRETS = [s for s in os.environ.get("STRATA_FUZZ_SECRETS", "").split("\n") if s]


@schemathesis.check
def no_secret_in_response(ctx, response, case):
    if case.path.endswith("/env"):
        return None
    text = response.text or ""
    for secret in SECRETS:
        if secret in text:
            raise AssertionError(
                f"{case.method} {case.formatted_path} answered with a secret ({secret[:4]}…)"
            )
    return None
