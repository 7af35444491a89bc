/*
 * Reference costs on this machine, to read the cache-hit numbers against (no library calls):
 *
 *   reference ITERATIONS RUNS
 *
 *  - clock:  clock_gettime(CLOCK_MONOTONIC), what Rust's Instant::now() calls;
 *  - clock_coarse: clock_gettime(CLOCK_MONOTONIC_COARSE), the clock a cache hit reads, once;
 *  - atomic_1t / atomic_2t: an atomic fetch_add on one shared counter, from 1 and from 2
 *            threads at once (a get+free hit does three uncontended ones: the token's reference
 *            count up and down, and the thread's stripe of the hits counter);
 *  - spawn:  pthread_create + pthread_join of a thread that does nothing, in microseconds (what
 *            a token request would pay if the host name lookup ran on a thread of its own).
 * Prints one JSON line with ns per operation, per run (per thread for atomic_2t; us for spawn).
 */
#include <stdatomic.h>

#include "common.h"

static _Atomic uint64_t shared_counter;

/* ns per clock_gettime(clock), one figure per run, comma-separated. */
static void print_clock_runs(clockid_t clock, long iterations, long runs) {
    for (long r = 0; r < runs; r++) {
        struct timespec ts;
        uint64_t sink = 0, t0 = now_ns();
        for (long i = 0; i < iterations; i++) {
            clock_gettime(clock, &ts);
            sink += (uint64_t)ts.tv_nsec;
        }
        uint64_t elapsed = now_ns() - t0;
        if (sink == 42) fputc(' ', stderr); /* keeps the loop */
        printf("%s%.2f", r ? "," : "", (double)elapsed / (double)iterations);
    }
}

struct worker {
    pthread_barrier_t *start;
    long iterations;
    uint64_t elapsed_ns;
};

static void *hammer(void *arg) {
    struct worker *w = arg;
    pthread_barrier_wait(w->start);
    uint64_t t0 = now_ns();
    for (long i = 0; i < w->iterations; i++) atomic_fetch_add_explicit(&shared_counter, 1, memory_order_relaxed);
    w->elapsed_ns = now_ns() - t0;
    return NULL;
}

static void *nothing(void *arg) { return arg; }

static void atomic_run(long threads, long iterations, double *per_thread) {
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)threads);
    struct worker workers[2];
    pthread_t ids[2];
    for (long t = 0; t < threads; t++) {
        workers[t] = (struct worker){.start = &start, .iterations = iterations};
        if (pthread_create(&ids[t], NULL, hammer, &workers[t]) != 0) die("pthread_create failed");
    }
    for (long t = 0; t < threads; t++) {
        pthread_join(ids[t], NULL);
        per_thread[t] = (double)workers[t].elapsed_ns / (double)iterations;
    }
    pthread_barrier_destroy(&start);
}

int main(int argc, char **argv) {
    long iterations = arg_long(argc, argv, 1, 5000000);
    long runs = arg_long(argc, argv, 2, 7);
    if (iterations < 1 || runs < 1) die("usage: reference ITERATIONS RUNS");

    printf("{\"iterations\":%ld,\"clock\":[", iterations);
    print_clock_runs(CLOCK_MONOTONIC, iterations, runs);
    printf("],\"clock_coarse\":[");
    print_clock_runs(CLOCK_MONOTONIC_COARSE, iterations, runs);
    printf("],\"atomic_1t\":[");
    for (long r = 0; r < runs; r++) {
        double ns[2];
        atomic_run(1, iterations, ns);
        printf("%s%.2f", r ? "," : "", ns[0]);
    }
    printf("],\"atomic_2t\":[");
    for (long r = 0; r < runs; r++) {
        double ns[2];
        atomic_run(2, iterations, ns);
        printf("%s%.2f,%.2f", r ? "," : "", ns[0], ns[1]);
    }
    printf("],\"spawn_us\":[");
    for (long r = 0; r < runs; r++) {
        const long spawns = 2000;
        uint64_t t0 = now_ns();
        for (long i = 0; i < spawns; i++) {
            pthread_t id;
            if (pthread_create(&id, NULL, nothing, NULL) != 0) die("pthread_create failed");
            pthread_join(id, NULL);
        }
        printf("%s%.2f", r ? "," : "", (double)(now_ns() - t0) / (double)spawns / 1e3);
    }
    printf("]}\n");
    return 0;
}
