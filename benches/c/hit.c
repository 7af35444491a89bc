/*
 * Cache hit, native, on a warm cache: vf_token_get + vf_token_free, or (MODE `current`) a
 * token the thread keeps, checked with vf_token_is_current before each use.
 *
 *   hit THREADS ITERATIONS RUNS [get|current]
 *
 * Warms the cache with one call, then RUNS times: THREADS threads start together (a barrier)
 * and each does ITERATIONS hits on the one shared client. Prints one JSON line:
 * per run, each thread's ns per hit and the aggregate hits per second (all threads' hits from
 * the first thread's start to the last one's end), and each thread's CPU ns per hit (its CPU
 * time: on a machine shared with other work, what a hit costs without the time the thread was
 * not running).
 */
#include "common.h"

struct worker {
    vf_client *client;
    pthread_barrier_t *start;
    long iterations;
    int keep_token;
    uint64_t elapsed_ns;
    uint64_t cpu_ns;
    uint64_t started_at_ns;
    uint64_t done_at_ns;
};

static void *work(void *arg) {
    struct worker *w = arg;
    vf_client *client = w->client;
    pthread_barrier_wait(w->start);
    vf_token *kept = NULL;
    if (w->keep_token && vf_token_get(client, &kept, NULL) != VF_STATUS_OK) die("vf_token_get failed");
    uint64_t t0 = now_ns();
    uint64_t c0 = thread_cpu_ns();
    if (w->keep_token) {
        for (long i = 0; i < w->iterations; i++) {
            if (!vf_token_is_current(client, kept, 0)) {
                vf_token_free(kept);
                kept = NULL;
                if (vf_token_get(client, &kept, NULL) != VF_STATUS_OK) die("vf_token_get failed during the hit loop");
            }
        }
    } else {
        for (long i = 0; i < w->iterations; i++) {
            vf_token *token = NULL;
            if (vf_token_get(client, &token, NULL) != VF_STATUS_OK) die("vf_token_get failed during the hit loop");
            vf_token_free(token);
        }
    }
    w->cpu_ns = thread_cpu_ns() - c0;
    vf_token_free(kept);
    w->done_at_ns = now_ns();
    w->started_at_ns = t0;
    w->elapsed_ns = w->done_at_ns - t0;
    return NULL;
}

int main(int argc, char **argv) {
    long threads = arg_long(argc, argv, 1, 1);
    long iterations = arg_long(argc, argv, 2, 2000000);
    long runs = arg_long(argc, argv, 3, 7);
    const char *mode = argc > 4 ? argv[4] : "get";
    int keep_token = strcmp(mode, "current") == 0;
    if (threads < 1 || threads > 256 || iterations < 1 || runs < 1 || (!keep_token && strcmp(mode, "get") != 0))
        die("usage: hit THREADS ITERATIONS RUNS [get|current]");

    vf_client *client = client_from_env(NULL);
    get_and_free(client); /* warm: discovery and the first token */
    /* A short untimed warm-up loop, so the first run does not pay for page faults and caches. */
    for (long i = 0; i < 100000; i++) get_and_free(client);

    printf("{\"mode\":\"%s\",\"threads\":%ld,\"iterations\":%ld,\"runs\":[", mode, threads, iterations);
    for (long r = 0; r < runs; r++) {
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
        struct worker workers[256];
        pthread_t ids[256];
        for (long t = 0; t < threads; t++) {
            workers[t] = (struct worker){.client = client, .start = &start, .iterations = iterations, .keep_token = keep_token};
            if (pthread_create(&ids[t], NULL, work, &workers[t]) != 0) die("pthread_create failed");
        }
        pthread_barrier_wait(&start);
        /* From the first thread's start to the last one's end: this thread may run late after
         * the barrier, so its own clock would cut the run short. */
        uint64_t first = UINT64_MAX, last = 0;
        for (long t = 0; t < threads; t++) {
            pthread_join(ids[t], NULL);
            if (workers[t].started_at_ns < first) first = workers[t].started_at_ns;
            if (workers[t].done_at_ns > last) last = workers[t].done_at_ns;
        }
        pthread_barrier_destroy(&start);
        double wall_s = (double)(last - first) / 1e9;
        printf("%s{\"ns_per_op\":[", r ? "," : "");
        for (long t = 0; t < threads; t++)
            printf("%s%.2f", t ? "," : "", (double)workers[t].elapsed_ns / (double)iterations);
        printf("],\"cpu_ns_per_op\":[");
        for (long t = 0; t < threads; t++)
            printf("%s%.2f", t ? "," : "", (double)workers[t].cpu_ns / (double)iterations);
        printf("],\"wall_s\":%.6f,\"ops_per_s\":%.1f}", wall_s, (double)(threads * iterations) / wall_s);
    }
    printf("],");
    print_stats(client);
    printf("}\n");
    vf_client_free(client);
    return 0;
}
