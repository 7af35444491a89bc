/* A herd on Windows threads: HERD threads, created with CreateThread and released together by one
 * event, call vf_token_get on one client with an empty cache. All must get the same token from a
 * single request. This program checks the tokens and the client's own counters; the runner
 * (tests/windows/test_windows.sh) checks the authority's counter around it, which is the proof.
 *
 *   tests/with-authority.sh wine64 herd_test.exe
 *
 * Prints one line per failed check and "N passed, N failed" last; exits 1 on any failure. */
#include <windows.h>

#include <stdio.h>
#include <string.h>

#include "vidiflow_auth.h"

/* WaitForMultipleObjects takes at most MAXIMUM_WAIT_OBJECTS (64) handles. */
enum { HERD = MAXIMUM_WAIT_OBJECTS };

static int passed, failed;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (cond) {                                                                    \
            passed++;                                                                  \
        } else {                                                                       \
            failed++;                                                                  \
            printf("%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);            \
        }                                                                              \
    } while (0)

struct worker {
    vf_client *client;
    HANDLE go;
    volatile LONG *waiting;
    vf_status status;
    vf_token *token;
};

static DWORD WINAPI work(LPVOID arg) {
    struct worker *w = arg;
    InterlockedIncrement(w->waiting);
    WaitForSingleObject(w->go, INFINITE);
    vf_error *err = NULL;
    w->status = vf_token_get(w->client, &w->token, &err);
    if (w->status != VF_STATUS_OK) printf("vf_token_get: %s: %s\n", vf_status_name(w->status), vf_error_message(err));
    vf_error_free(err);
    return 0;
}

int main(void) {
    vf_options *options = vf_options_new();
    vf_error *err = NULL;
    vf_client *client = NULL;
    CHECK(vf_options_from_env(options, &err) == VF_STATUS_OK);
    CHECK(vf_client_new(options, &client, &err) == VF_STATUS_OK);
    vf_options_free(options);
    if (client == NULL) {
        printf("no client: %s\n", vf_error_message(err));
        return 1;
    }

    /* A manual-reset event: setting it once releases every waiting thread. */
    HANDLE go = CreateEventW(NULL, TRUE, FALSE, NULL);
    volatile LONG waiting = 0;
    static struct worker workers[HERD];
    HANDLE threads[HERD];
    for (int i = 0; i < HERD; i++) {
        workers[i] = (struct worker){.client = client, .go = go, .waiting = &waiting};
        threads[i] = CreateThread(NULL, 0, work, &workers[i], 0, NULL);
        CHECK(threads[i] != NULL);
    }
    while (InterlockedCompareExchange(&waiting, 0, 0) < HERD) Sleep(1);
    SetEvent(go);
    CHECK(WaitForMultipleObjects(HERD, threads, TRUE, 60000) == WAIT_OBJECT_0);

    int same = 0;
    for (int i = 0; i < HERD; i++) {
        CloseHandle(threads[i]);
        CHECK(workers[i].status == VF_STATUS_OK);
        if (workers[i].token != NULL && workers[0].token != NULL &&
            strcmp(vf_token_access_token(workers[i].token), vf_token_access_token(workers[0].token)) == 0)
            same++;
    }
    CHECK(same == HERD);

    vf_stats stats;
    CHECK(vf_client_stats(client, &stats) == VF_STATUS_OK);
    CHECK(stats.requests == 1);
    CHECK(stats.hits + stats.misses == HERD);
    CHECK(stats.errors == 0);
    printf("herd of %d Windows threads: %d identical tokens; client: %llu request(s), %llu hits, %llu misses\n",
           HERD, same, (unsigned long long)stats.requests, (unsigned long long)stats.hits,
           (unsigned long long)stats.misses);

    for (int i = 0; i < HERD; i++) vf_token_free(workers[i].token);
    CloseHandle(go);
    vf_client_free(client);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
