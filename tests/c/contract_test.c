/* The C contract from C: a token from the dev authority, NULLs everywhere, a bad secret, many
 * threads sharing one client. Run under valgrind by `make test-c` (tests/with-authority.sh sets
 * VF_AUTHORITY, VF_CLIENT_ID, VF_CLIENT_SECRET, VF_SCOPE and VF_TEST_STATS), once over http and
 * once over https (`--tls`: VF_CA_FILE too). Ends with "N passed, N failed". */
#define _POSIX_C_SOURCE 200809L
#ifndef _WIN32
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vidiflow_auth.h"

static int passed, failed;

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (cond) {                                                        \
            passed++;                                                      \
        } else {                                                           \
            failed++;                                                      \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                  \
    } while (0)

static vf_client *client_from_env(const char *secret_override) {
    vf_options *options = vf_options_new();
    vf_error *err = NULL;
    CHECK(vf_options_from_env(options, &err) == VF_STATUS_OK);
    if (secret_override) CHECK(vf_options_set(options, "client_secret", secret_override, NULL) == VF_STATUS_OK);
    vf_client *client = NULL;
    CHECK(vf_client_new(options, &client, &err) == VF_STATUS_OK);
    vf_options_free(options);
    return client;
}

static void test_token(void) {
    vf_client *client = client_from_env(NULL);
    vf_token *token = NULL;
    CHECK(vf_token_get(client, &token, NULL) == VF_STATUS_OK);
    CHECK(token != NULL);
    const char *access = vf_token_access_token(token);
    const char *header = vf_token_authorization(token);
    CHECK(strncmp(header, "Bearer ", 7) == 0 && strcmp(header + 7, access) == 0);
    CHECK(strcmp(vf_token_type(token), "Bearer") == 0);
    CHECK(strcmp(vf_token_scope(token), "api1") == 0);
    CHECK(vf_token_expires_in(token) > 3500);
    printf("token: %.24s...\n", access);

    vf_token *again = NULL;
    CHECK(vf_token_get_valid_for(client, 600, &again, NULL) == VF_STATUS_OK);
    CHECK(strcmp(vf_token_access_token(again), access) == 0);
    /* A token from a hit, kept: current until the cache moves on. */
    CHECK(vf_token_is_current(client, again, 0) && vf_token_is_current(client, again, 600));
    CHECK(!vf_token_is_current(client, again, 4000));
    CHECK(vf_token_invalidate(client, access) == VF_STATUS_OK);
    CHECK(!vf_token_is_current(client, again, 0));
    vf_token_free(again);
    CHECK(vf_token_get(client, &again, NULL) == VF_STATUS_OK);
    CHECK(strcmp(vf_token_access_token(again), access) != 0);
    vf_token_free(again);
    vf_token_free(token);
    vf_client_free(client);
}

static void test_bad_secret(void) {
    const char *secret = "wrong-secret-xyz";
    vf_client *client = client_from_env(secret);
    vf_token *token = NULL;
    vf_error *err = NULL;
    CHECK(vf_token_get(client, &token, &err) == VF_STATUS_OAUTH);
    CHECK(token == NULL);
    CHECK(vf_error_status(err) == VF_STATUS_OAUTH);
    CHECK(strcmp(vf_error_oauth_error(err), "invalid_client") == 0);
    CHECK(vf_error_http_status(err) == 401);
    CHECK(strstr(vf_error_message(err), secret) == NULL);
    CHECK(strstr(vf_error_message(err), getenv("VF_CLIENT_SECRET")) == NULL);
    printf("bad secret: %s\n", vf_error_message(err));
    vf_error_free(err);
    vf_client_free(client);
}

/* Log lines seen through the callback; each is checked for the secret as it arrives. */
static int log_lines, secret_in_log;

static void on_log(void *user_data, vf_log_level level, const char *message) {
    const char *secret = user_data;
    (void)level;
    log_lines++;
    if (strstr(message, secret) != NULL) secret_in_log = 1;
}

static void test_log_and_stats(void) {
    vf_set_log_callback(on_log, getenv("VF_CLIENT_SECRET"));
    vf_client *client = client_from_env(NULL);
    vf_options *options = vf_options_new();
    CHECK(vf_options_from_env(options, NULL) == VF_STATUS_OK);
    CHECK(vf_options_set(options, "scope", "api2", NULL) == VF_STATUS_OK); /* a cold cache entry */
    vf_client *cold = NULL;
    CHECK(vf_client_new(options, &cold, NULL) == VF_STATUS_OK);
    vf_options_free(options);
    vf_token *token = NULL;
    for (int i = 0; i < 3; i++) {
        CHECK(vf_token_get(cold, &token, NULL) == VF_STATUS_OK);
        vf_token_free(token);
    }
    vf_stats stats;
    memset(&stats, 0xff, sizeof stats);
    CHECK(vf_client_stats(cold, &stats) == VF_STATUS_OK);
    CHECK(stats.hits == 2 && stats.misses == 1 && stats.requests == 1);
    CHECK(stats.failed_requests == 0 && stats.errors == 0);
    vf_shared_stats shared;
    memset(&shared, 0xff, sizeof shared);
    CHECK(vf_client_shared_stats(cold, &shared) == VF_STATUS_OK); /* it asked the authority itself */
    CHECK(shared.shared_hits == 0 && shared.redis_hits == 0 && shared.redis_misses == 0 && shared.redis_errors == 0);
    CHECK(log_lines >= 1 && !secret_in_log);
    vf_set_log_callback(NULL, NULL);
    vf_client_free(cold);
    vf_client_free(client);
}

static void test_bad_values(void) {
    vf_options *options = vf_options_new();
    vf_error *err = NULL;
    size_t size = 1024 * 1024;
    char *huge = malloc(size + 1);
    memset(huge, 'a', size);
    huge[size] = '\0';
    CHECK(vf_options_set(options, "scope", huge, &err) == VF_STATUS_CONFIG);
    CHECK(strstr(vf_error_message(err), "too long") != NULL);
    vf_error_free(err);
    free(huge);
    CHECK(vf_options_set(options, "client_secret", "abc\r\nInjected: 1", &err) == VF_STATUS_CONFIG);
    CHECK(strstr(vf_error_message(err), "client_secret") != NULL && strstr(vf_error_message(err), "abc") == NULL);
    vf_error_free(err);
    CHECK(vf_options_set(options, "timeout_ms", "soon", NULL) == VF_STATUS_CONFIG);
    vf_options_free(options);
}

static void test_nulls(void) {
    vf_error *err = NULL;
    vf_token *token = NULL;
    vf_client *client = NULL;
    CHECK(vf_options_set(NULL, "scope", "api1", &err) == VF_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(vf_error_message(err), "'options' is NULL") != NULL);
    vf_error_free(err);
    vf_options *options = vf_options_new();
    CHECK(vf_options_set(options, NULL, "x", NULL) == VF_STATUS_INVALID_ARGUMENT);
    CHECK(vf_options_set(options, "scope", NULL, NULL) == VF_STATUS_INVALID_ARGUMENT);
    CHECK(vf_options_set(options, "sc\xff", "x", NULL) == VF_STATUS_INVALID_ARGUMENT);
    CHECK(vf_options_set(options, "nonsense", "x", NULL) == VF_STATUS_CONFIG);
    CHECK(vf_options_from_env(NULL, NULL) == VF_STATUS_INVALID_ARGUMENT);
    CHECK(vf_client_new(NULL, &client, NULL) == VF_STATUS_INVALID_ARGUMENT);
    CHECK(vf_client_new(options, NULL, NULL) == VF_STATUS_INVALID_ARGUMENT);
    CHECK(vf_client_new(options, &client, NULL) == VF_STATUS_CONFIG);
    CHECK(client == NULL);
    CHECK(vf_token_get(NULL, &token, NULL) == VF_STATUS_INVALID_ARGUMENT);
    CHECK(vf_token_get_valid_for(NULL, 1, &token, NULL) == VF_STATUS_INVALID_ARGUMENT);
    CHECK(vf_token_get_cached(NULL, 0, &token, NULL) == VF_STATUS_INVALID_ARGUMENT);
    CHECK(vf_token_invalidate(NULL, "x") == VF_STATUS_INVALID_ARGUMENT);
    CHECK(token == NULL);
    CHECK(vf_client_stats(NULL, NULL) == VF_STATUS_INVALID_ARGUMENT);
    CHECK(vf_client_shared_stats(NULL, NULL) == VF_STATUS_INVALID_ARGUMENT);
    vf_client *real = client_from_env(NULL);
    CHECK(vf_token_get(real, NULL, NULL) == VF_STATUS_INVALID_ARGUMENT);
    CHECK(vf_token_get_valid_for(real, 1, NULL, &err) == VF_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(vf_error_message(err), "'out' is NULL") != NULL);
    vf_error_free(err);
    CHECK(vf_token_get_cached(real, 0, NULL, NULL) == VF_STATUS_INVALID_ARGUMENT);
    CHECK(!vf_token_is_current(real, NULL, 0) && !vf_token_is_current(NULL, NULL, 0));
    CHECK(vf_token_invalidate(real, NULL) == VF_STATUS_INVALID_ARGUMENT);
    CHECK(vf_client_stats(real, NULL) == VF_STATUS_INVALID_ARGUMENT);
    CHECK(vf_client_shared_stats(real, NULL) == VF_STATUS_INVALID_ARGUMENT);
    vf_client_free(real);
    vf_set_log_callback(NULL, NULL);
    CHECK(vf_token_access_token(NULL) == NULL && vf_token_authorization(NULL) == NULL);
    CHECK(vf_token_type(NULL) == NULL && vf_token_scope(NULL) == NULL);
    CHECK(vf_token_expires_at(NULL) == 0 && vf_token_expires_in(NULL) == 0);
    CHECK(vf_error_status(NULL) == VF_STATUS_INVALID_ARGUMENT && vf_error_message(NULL) == NULL);
    CHECK(vf_error_oauth_error(NULL) == NULL && vf_error_http_status(NULL) == 0);
    CHECK(vf_error_oauth_description(NULL) == NULL && vf_error_oauth_uri(NULL) == NULL);
    CHECK(vf_error_retry_after_ms(NULL) == 0);
    CHECK(strcmp(vf_status_name(VF_STATUS_TLS), "VF_STATUS_TLS") == 0);
    CHECK(strcmp(vf_status_name(4000000000u), "VF_STATUS_UNKNOWN") == 0);
    CHECK(vf_abi_version() == 1 && strlen(vf_version()) > 0);
    vf_options_free(options);
    vf_options_free(NULL);
    vf_client_free(NULL);
    vf_token_free(NULL);
    vf_error_free(NULL);
}

/* The dev authority's count of token requests, from VF_TEST_STATS (a plain http URL on
 * 127.0.0.1); -1 if it cannot be read, -2 where this test does not read it (Windows, where
 * tests/windows/herd_test.c counts a herd's requests with winsock). */
#ifdef _WIN32
static long authority_token_requests(void) { return -2; }
#else
static long authority_token_requests(void) {
    const char *url = getenv("VF_TEST_STATS");
    char host[64];
    int port = 0;
    if (url == NULL || sscanf(url, "http://%63[0-9.]:%d/", host, &port) != 2) return -1;
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1) return -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    long count = -1;
    if (connect(fd, (struct sockaddr *)&address, sizeof address) == 0) {
        char request[160];
        int length = snprintf(request, sizeof request, "GET /__test/stats HTTP/1.0\r\nHost: %s:%d\r\n\r\n", host, port);
        size_t size = 0, capacity = 1 << 16;
        char *response = malloc(capacity);
        if (response != NULL && write(fd, request, (size_t)length) == length) {
            ssize_t got;
            while ((got = read(fd, response + size, capacity - size - 1)) > 0) {
                size += (size_t)got;
                if (size + 1 == capacity) {
                    char *bigger = realloc(response, capacity *= 2);
                    if (bigger == NULL) break;
                    response = bigger;
                }
            }
            response[size] = '\0';
            const char *field = strstr(response, "\"token_requests\":");
            if (field != NULL) count = strtol(field + strlen("\"token_requests\":"), NULL, 10);
        }
        free(response);
    }
    close(fd);
    return count;
}
#endif

enum { THREADS = 16 };

static pthread_barrier_t start_together;

static void *get_and_free(void *client) {
    vf_token *token = NULL;
    pthread_barrier_wait(&start_together);
    if (vf_token_get(client, &token, NULL) != VF_STATUS_OK) return NULL;
    return token; /* freed by the main thread */
}

/* 16 threads on a cold cache entry (a scope set no other test asks for): one request. */
static void test_threads(void) {
    vf_options *options = vf_options_new();
    CHECK(vf_options_from_env(options, NULL) == VF_STATUS_OK);
    CHECK(vf_options_set(options, "scope", "api2 api1", NULL) == VF_STATUS_OK);
    vf_client *client = NULL;
    CHECK(vf_client_new(options, &client, NULL) == VF_STATUS_OK);
    vf_options_free(options);
    long before = authority_token_requests();
    pthread_t threads[THREADS];
    pthread_barrier_init(&start_together, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) pthread_create(&threads[i], NULL, get_and_free, client);
    const char *first = NULL;
    vf_token *tokens[THREADS];
    for (int i = 0; i < THREADS; i++) {
        void *token = NULL;
        pthread_join(threads[i], &token);
        CHECK(token != NULL);
        tokens[i] = token;
        if (token == NULL) continue;
        if (first == NULL) first = vf_token_access_token(token);
        CHECK(strcmp(vf_token_access_token(token), first) == 0);
    }
    pthread_barrier_destroy(&start_together);
    vf_stats stats;
    CHECK(vf_client_stats(client, &stats) == VF_STATUS_OK);
    CHECK(stats.requests == 1 && stats.misses + stats.hits == THREADS);
    if (before == -2) {
        printf("%d threads on a cold cache: the authority's counter is read by herd_test\n", THREADS);
    } else if (before >= 0) {
        long after = authority_token_requests();
        printf("%d threads on a cold cache: %ld token request(s) at the authority\n", THREADS, after - before);
        CHECK(after - before == 1);
    } else {
        /* Over https (the --tls run) the counter is not read; the http run checks it. */
        const char *stats_url = getenv("VF_TEST_STATS");
        CHECK(stats_url != NULL && strncmp(stats_url, "https://", 8) == 0);
        printf("%d threads on a cold cache: the authority's counter is read in the http run\n", THREADS);
    }
    for (int i = 0; i < THREADS; i++) vf_token_free(tokens[i]);
    vf_client_free(client);
}

int main(void) {
    test_nulls();
    test_token();
    test_bad_secret();
    test_threads();
    test_log_and_stats();
    test_bad_values();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
