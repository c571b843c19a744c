"""Schemathesis check: no secret reaches a response other than the .env download.

The secrets are the values the fuzzing run seeded or configured (tokens, keys, a stored
password), given in STRATA_FUZZ_SECRETS separated by newlines.
"""

import os
import re

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


UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
SEEDED_DEPLOYMENT = os.environ.get("STRATA_FUZZ_DEPLOYMENT", "")


@schemathesis.hook
def map_path_parameters(context, path_parameters):
    """The event stream of a deployment that never ends (nothing runs them here) stays open by
    design, so the fuzzer streams only the seeded, finished deployment or unknown ids."""
    operation = context.operation
    if operation is None or not operation.path.endswith("/events") or not path_parameters:
        return path_parameters
    value = str(path_parameters.get("id", ""))
    if UUID.match(value) and value != SEEDED_DEPLOYMENT:
        return {**path_parameters, "id": SEEDED_DEPLOYMENT}
    return path_parameters
