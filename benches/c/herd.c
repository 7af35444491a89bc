/*
 * A herd, native: THREADS threads call vf_token_get at the same instant on one shared client.
 *
 *   herd THREADS cold|expired [SLEEP_MS]
 *
 * cold:    a client of another identity (scope VF_BENCH_WARM_SCOPE, default "api2") fetches one
 *          token first, so discovery is cached but the herd's identity has no token: the herd
 *          meets an empty cache.
 * expired: the herd's own client fetches a token, then the program sleeps SLEEP_MS (longer
 *          than the token's lifetime): the herd meets a cached token that has just expired.
 *
 * Then it prints {"ready":true} and waits for a line on stdin (the driver resets the
 * authority's request counter in between), releases the threads, and prints one JSON line:
 * wall time from the release until the last thread holds a token, each thread's latency,
 * and the client's counters.
 */
#include "common.h"

#define MAX_THREADS 256

struct worker {
    vf_client *client;
    pthread_barrier_t *start;
    uint64_t done_at_ns;
    vf_status status;
};

static void *work(void *arg) {
    struct worker *w = arg;
    pthread_barrier_wait(w->start);
    vf_token *token = NULL;
    vf_error *err = NULL;
    w->status = vf_token_get(w->client, &token, &err);
    w->done_at_ns = now_ns();
    if (w->status != VF_STATUS_OK) {
        fprintf(stderr, "bench: herd: %s: %s\n", vf_status_name(w->status), vf_error_message(err));
        vf_error_free(err);
    }
    vf_token_free(token);
    return NULL;
}

int main(int argc, char **argv) {
    long threads = arg_long(argc, argv, 1, 32);
    const char *mode = argc > 2 ? argv[2] : "cold";
    long sleep_ms = arg_long(argc, argv, 3, 0);
    if (threads < 1 || threads > MAX_THREADS) die("usage: herd THREADS cold|expired [SLEEP_MS]");

    vf_client *client = client_from_env(NULL);
    vf_client *warm = NULL;
    if (strcmp(mode, "cold") == 0) {
        const char *warm_scope = getenv("VF_BENCH_WARM_SCOPE");
        warm = client_from_env(warm_scope && *warm_scope ? warm_scope : "api2");
        get_and_free(warm);
    } else if (strcmp(mode, "expired") == 0) {
        get_and_free(client);
        usleep((useconds_t)sleep_ms * 1000u);
    } else {
        die("mode must be cold or expired, not '%s'", mode);
    }

    /* All threads exist and wait at the barrier before the driver is told we are ready. */
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    static struct worker workers[MAX_THREADS];
    pthread_t ids[MAX_THREADS];
    for (long t = 0; t < threads; t++) {
        workers[t] = (struct worker){.client = client, .start = &start};
        if (pthread_create(&ids[t], NULL, work, &workers[t]) != 0) die("pthread_create failed");
    }
    printf("{\"ready\":true}\n");
    fflush(stdout);
    char line[64];
    if (!fgets(line, sizeof line, stdin)) die("no go line on stdin");

    uint64_t released = now_ns();
    pthread_barrier_wait(&start);
    uint64_t last = released;
    long ok = 0;
    for (long t = 0; t < threads; t++) {
        pthread_join(ids[t], NULL);
        if (workers[t].done_at_ns > last) last = workers[t].done_at_ns;
        if (workers[t].status == VF_STATUS_OK) ok++;
    }
    pthread_barrier_destroy(&start);

    printf("{\"threads\":%ld,\"mode\":\"%s\",\"ok\":%ld,\"wall_ms\":%.3f,\"latency_ms\":[", threads, mode, ok,
           (double)(last - released) / 1e6);
    for (long t = 0; t < threads; t++)
        printf("%s%.3f", t ? "," : "", (double)(workers[t].done_at_ns - released) / 1e6);
    printf("],");
    print_stats(client);
    printf("}\n");
    vf_client_free(warm);
    vf_client_free(client);
    return ok == threads ? 0 : 1;
}
