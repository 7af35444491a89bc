/* What the C API says for the options in the VF_* variables: "OK", or the status name and
 * vf_error_message(), exactly as `vf-token` must print them after "vf-token: ".
 *
 *   c_message [MIN_VALID_SECONDS]
 */
#include <stdio.h>
#include <stdlib.h>

#include "vidiflow_auth.h"

static int report(vf_status status, vf_error *err) {
    printf("%s: %s\n", vf_status_name(status), err != NULL ? vf_error_message(err) : "(no error object)");
    vf_error_free(err);
    return 1;
}

int main(int argc, char **argv) {
    unsigned long min_valid = argc > 1 ? strtoul(argv[1], NULL, 10) : 0;
    vf_error *err = NULL;
    vf_options *options = vf_options_new();
    vf_status status = vf_options_from_env(options, &err);
    if (status != VF_STATUS_OK) {
        vf_options_free(options);
        return report(status, err);
    }
    vf_client *client = NULL;
    status = vf_client_new(options, &client, &err);
    vf_options_free(options);
    if (status != VF_STATUS_OK) {
        return report(status, err);
    }
    vf_token *token = NULL;
    status = vf_token_get_valid_for(client, (uint32_t)min_valid, &token, &err);
    vf_client_free(client);
    if (status != VF_STATUS_OK) {
        return report(status, err);
    }
    vf_token_free(token);
    printf("OK\n");
    return 0;
}
