/*
 * One process of the host-level cache benchmarks (issue 12): a client from the VF_* environment
 * (VF_CACHE_DIR names the cache directory), then one vf_token_get.
 *
 *   shared [START_AT]
 *
 * START_AT (Unix time in microseconds, optional): the process makes its client, then sleeps
 * until that instant before the token call, so that processes started one by one make their
 * calls together. Prints one JSON line: the microseconds vf_client_new and the first
 * vf_token_get took, and the status.
 */
#include "common.h"

static uint64_t wall_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int main(int argc, char **argv) {
    const char *start_arg = argc > 1 ? argv[1] : NULL;
    uint64_t start_at = start_arg ? strtoull(start_arg, NULL, 10) : 0;

    uint64_t t0 = now_ns();
    vf_client *client = client_from_env(NULL);
    uint64_t t1 = now_ns();

    uint64_t now = wall_us();
    if (start_at > now) usleep((useconds_t)(start_at - now));

    vf_token *token = NULL;
    vf_error *err = NULL;
    uint64_t t2 = now_ns();
    vf_status status = vf_token_get(client, &token, &err);
    uint64_t t3 = now_ns();
    if (status != VF_STATUS_OK) {
        fprintf(stderr, "bench: shared: %s: %s\n", vf_status_name(status), vf_error_message(err));
        vf_error_free(err);
    }
    printf("{\"client_new_us\":%.1f,\"first_get_us\":%.1f,\"status\":\"%s\"}\n", (double)(t1 - t0) / 1e3,
           (double)(t3 - t2) / 1e3, vf_status_name(status));
    vf_token_free(token);
    vf_client_free(client);
    return status == VF_STATUS_OK ? 0 : 1;
}
