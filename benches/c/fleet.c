/*
 * One "host" of the fleet-level cache benchmark (issue 14): a client from the VF_* environment
 * (VF_REDIS_URL, VF_CACHE_DIR: a directory of its own), then THREADS threads that each call
 * vf_token_get once, together.
 *
 *   fleet THREADS START_AT
 *
 * START_AT (Unix time in microseconds): the process makes its client, starts its threads, then
 * they wait until that instant, so that processes started one by one call together. Prints one
 * JSON line: the slowest thread's call in microseconds and how many calls failed.
 */
#include "common.h"

static uint64_t wall_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

struct job {
    vf_client *client;
    uint64_t start_at;
    uint64_t elapsed_ns;
    int failed;
};

static void *call(void *arg) {
    struct job *job = arg;
    uint64_t now = wall_us();
    if (job->start_at > now) usleep((useconds_t)(job->start_at - now));
    vf_token *token = NULL;
    vf_error *err = NULL;
    uint64_t t0 = now_ns();
    vf_status status = vf_token_get(job->client, &token, &err);
    job->elapsed_ns = now_ns() - t0;
    if (status != VF_STATUS_OK) {
        fprintf(stderr, "bench: fleet: %s: %s\n", vf_status_name(status), vf_error_message(err));
        vf_error_free(err);
        job->failed = 1;
    }
    vf_token_free(token);
    return NULL;
}

int main(int argc, char **argv) {
    long threads = arg_long(argc, argv, 1, 4);
    uint64_t start_at = (uint64_t)arg_long(argc, argv, 2, 0);
    if (threads < 1 || threads > 64) die("THREADS: 1 to 64");
    vf_client *client = client_from_env(NULL);
    pthread_t ids[64];
    struct job jobs[64];
    for (long i = 0; i < threads; i++) {
        jobs[i] = (struct job){.client = client, .start_at = start_at};
        if (pthread_create(&ids[i], NULL, call, &jobs[i]) != 0) die("pthread_create failed");
    }
    uint64_t slowest = 0;
    int failed = 0;
    for (long i = 0; i < threads; i++) {
        pthread_join(ids[i], NULL);
        if (jobs[i].elapsed_ns > slowest) slowest = jobs[i].elapsed_ns;
        failed += jobs[i].failed;
    }
    printf("{\"slowest_get_us\":%.1f,\"failed_calls\":%d}\n", (double)slowest / 1e3, failed);
    vf_client_free(client);
    return failed ? 1 : 0;
}
