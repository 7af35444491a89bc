/* Gets an access token from the authority described by the VF_* environment variables
 * (VF_AUTHORITY, VF_CLIENT_ID, VF_CLIENT_SECRET or VF_CLIENT_SECRET_FILE, VF_SCOPE) and prints
 * the Authorization header an API call would send.
 *
 *   cc get_token.c -lvidiflow_auth -o get_token && ./get_token
 */
#include <stdio.h>
#include <time.h>

#include "vidiflow_auth.h"

static int fail(const char *what, vf_error *err) {
    fprintf(stderr, "%s failed: %s (%s)\n", what, vf_error_message(err),
            vf_status_name(vf_error_status(err)));
    vf_error_free(err);
    return 1;
}

int main(void) {
    vf_error *err = NULL;
    vf_options *options = vf_options_new();
    if (vf_options_from_env(options, &err) != VF_STATUS_OK) {
        vf_options_free(options);
        return fail("reading VF_* variables", err);
    }
    vf_client *client = NULL;
    vf_status status = vf_client_new(options, &client, &err);
    vf_options_free(options); /* the client keeps its own copy */
    if (status != VF_STATUS_OK) return fail("vf_client_new", err);

    /* Share `client` across all threads; each call is a cache hit until the token nears expiry. */
    vf_token *token = NULL;
    if (vf_token_get(client, &token, &err) != VF_STATUS_OK) {
        vf_client_free(client);
        return fail("vf_token_get", err);
    }
    const char *header = vf_token_authorization(token);
    printf("Authorization: %.20s... (%s, scope '%s', expires in %lld s)\n", header, vf_token_type(token),
           vf_token_scope(token), (long long)vf_token_expires_in(token));

    vf_token_free(token);
    vf_client_free(client);
    return 0;
}
