"""Gets an access token with the settings in the VF_* environment variables.

    VF_AUTHORITY=https://id.example.com/core VF_CLIENT_ID=... VF_CLIENT_SECRET=... \
        python examples/get_token.py

Prints the start of the Authorization header (never the whole token) and when it expires.
"""

from __future__ import annotations

import sys
import time

from vidiflow_auth import Client, OAuthError, VidiFlowAuthError


def main() -> int:
    try:
        with Client.from_env() as client:
            token = client.token()
            print(f"Authorization: {token.authorization[:16]}... ({len(token.access_token)} characters)")
            print(f"token type {token.token_type}, scope {token.scope!r}")
            print(f"expires at {token.expires_at.isoformat()} (in {token.expires_in:.0f} s)")

            calls = 10_000
            started = time.perf_counter()
            for _ in range(calls):
                again = client.token()
            elapsed_us = (time.perf_counter() - started) / calls * 1e6
            same = "the same token" if again.access_token == token.access_token else "a new token"
            print(f"next {calls} calls: {same}, from the cache, {elapsed_us:.1f} us per call")
    except OAuthError as error:
        print(f"the authority refused: {error.oauth_error} ({error})", file=sys.stderr)
        return 1
    except VidiFlowAuthError as error:
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
