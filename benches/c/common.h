/*
 * Shared helpers for the native benchmarks (benches/c/, one program per measurement).
 *
 * Every program configures its client from the VF_* environment (vf_options_from_env):
 * VF_AUTHORITY, VF_CLIENT_ID, VF_CLIENT_SECRET, VF_SCOPE, VF_CA_FILE, ... The driver
 * (benches/python/vfbench/run.py) sets them; so does tests/with-authority.sh for a quick try.
 * Compiled as GNU C (-std=gnu11, for pthread barriers and usleep) with -O2: see mk/bench.mk.
 * Results go to stdout as one line of JSON; diagnostics go to stderr.
 */
#ifndef VF_BENCH_COMMON_H
#define VF_BENCH_COMMON_H

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vidiflow_auth.h"

static inline void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* Exits with the library's message when `status` is not OK; frees `err`. */
static inline void check(vf_status status, vf_error *err, const char *what) {
    if (status == VF_STATUS_OK) return;
    fprintf(stderr, "bench: %s: %s: %s\n", what, vf_status_name(status),
            err ? vf_error_message(err) : "(no error object)");
    vf_error_free(err);
    exit(1);
}

/* A client from the VF_* environment; `scope`, when not NULL, replaces VF_SCOPE. */
static inline vf_client *client_from_env(const char *scope) {
    vf_error *err = NULL;
    vf_options *options = vf_options_new();
    if (!options) die("vf_options_new failed");
    check(vf_options_from_env(options, &err), err, "vf_options_from_env");
    if (scope) check(vf_options_set(options, "scope", scope, &err), err, "vf_options_set(scope)");
    vf_client *client = NULL;
    check(vf_client_new(options, &client, &err), err, "vf_client_new");
    vf_options_free(options);
    return client;
}

/* One token call whose token is released at once; exits on failure. */
static inline void get_and_free(vf_client *client) {
    vf_token *token = NULL;
    vf_error *err = NULL;
    check(vf_token_get(client, &token, &err), err, "vf_token_get");
    vf_token_free(token);
}

/* This thread's CPU time: excludes the time it waited for a core. */
static inline uint64_t thread_cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline long arg_long(int argc, char **argv, int index, long fallback) {
    if (index >= argc) return fallback;
    char *end = NULL;
    long value = strtol(argv[index], &end, 10);
    if (!end || *end || value < 0) die("argument %d: expected a non-negative integer, got '%s'", index, argv[index]);
    return value;
}

/* A field of /proc/self/status in kB (VmRSS, VmHWM, ...), or -1. */
static inline long proc_status_kb(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long value = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            value = strtol(line + n + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return value;
}

static inline void print_stats(vf_client *client) {
    vf_stats stats;
    if (vf_client_stats(client, &stats) != VF_STATUS_OK) die("vf_client_stats failed");
    printf("\"stats\":{\"hits\":%llu,\"misses\":%llu,\"requests\":%llu,\"failed_requests\":%llu,\"errors\":%llu}",
           (unsigned long long)stats.hits, (unsigned long long)stats.misses, (unsigned long long)stats.requests,
           (unsigned long long)stats.failed_requests, (unsigned long long)stats.errors);
}

#endif
