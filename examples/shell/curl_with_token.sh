#!/usr/bin/env bash
# Calls an HTTP API with a token from vf-token: the pattern for shell scripts.
#
#   export VF_AUTHORITY=https://auth.example.com/Integrations/Authentication/core
#   export VF_CLIENT_ID=metadata_agent VF_CLIENT_SECRET_FILE=/run/secrets/vidiflow VF_SCOPE=api1
#   examples/shell/curl_with_token.sh https://api.example.com/assets [CURL OPTIONS...]
#
# At a prompt, the one-liner is enough:
#
#   curl -H "$(vf-token --header)" https://api.example.com/assets
#
# In a script, take the header first, as below: `set -e` stops at a failed assignment, but a
# failed $(...) inside curl's arguments goes unnoticed and curl runs without a token. Handing
# the header over on stdin (-H @-) also keeps the token out of the process list.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 URL [CURL OPTIONS...]" >&2; exit 2; }

header=$(vf-token --header) # exits here, with vf-token's status, when there is no token
curl --fail-with-body --silent --show-error -H @- "$@" <<<"$header"
