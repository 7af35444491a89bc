/*
 * Refresh cost, native: what one token request costs once the connection is up.
 *
 *   refresh COUNT RUNS
 *
 * Warms the client (discovery, first token, a kept-alive connection in its HTTP agent), then
 * RUNS times does COUNT refreshes: vf_token_invalidate() on the cached token, then
 * vf_token_get(), which has to fetch a new one. Prints one JSON line: per run, the median and
 * mean microseconds per refresh, and the client's counters (requests must grow by COUNT*RUNS).
 */
#include "common.h"

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void refresh_once(vf_client *client) {
    vf_token *token = NULL;
    vf_error *err = NULL;
    check(vf_token_get(client, &token, &err), err, "vf_token_get");
    check(vf_token_invalidate(client, vf_token_access_token(token)), NULL, "vf_token_invalidate");
    vf_token_free(token);
    check(vf_token_get(client, &token, &err), err, "vf_token_get after invalidate");
    vf_token_free(token);
}

int main(int argc, char **argv) {
    long count = arg_long(argc, argv, 1, 200);
    long runs = arg_long(argc, argv, 2, 5);
    if (count < 1 || runs < 1) die("usage: refresh COUNT RUNS");

    vf_client *client = client_from_env(NULL);
    for (int i = 0; i < 5; i++) refresh_once(client); /* warm: discovery, connection, JIT of the authority */

    uint64_t *samples = calloc((size_t)count, sizeof *samples);
    if (!samples) die("out of memory");
    printf("{\"count\":%ld,\"runs\":[", count);
    for (long r = 0; r < runs; r++) {
        uint64_t total = 0;
        for (long i = 0; i < count; i++) {
            uint64_t t0 = now_ns();
            refresh_once(client);
            samples[i] = now_ns() - t0;
            total += samples[i];
        }
        qsort(samples, (size_t)count, sizeof *samples, compare_u64);
        double median = count % 2 ? (double)samples[count / 2]
                                  : ((double)samples[count / 2 - 1] + (double)samples[count / 2]) / 2;
        printf("%s{\"median_us\":%.1f,\"mean_us\":%.1f,\"min_us\":%.1f,\"max_us\":%.1f}", r ? "," : "", median / 1e3,
               (double)total / (double)count / 1e3, (double)samples[0] / 1e3, (double)samples[count - 1] / 1e3);
    }
    printf("],");
    print_stats(client);
    printf("}\n");
    free(samples);
    vf_client_free(client);
    return 0;
}
