/*
 * Memory over many cache hits: COUNT vf_token_get + vf_token_free cycles on one client.
 *
 *   cycles COUNT
 *
 * Prints one JSON line with VmRSS after the first token (the baseline) and after COUNT cycles,
 * VmHWM (the peak), and the time taken. Frees everything it made before exiting, so that a run
 * under valgrind --leak-check=full reports only what the library itself leaks.
 */
#include "common.h"

int main(int argc, char **argv) {
    long count = arg_long(argc, argv, 1, 1000000);

    vf_client *client = client_from_env(NULL);
    get_and_free(client);
    long rss_before = proc_status_kb("VmRSS");
    uint64_t t0 = now_ns();
    for (long i = 0; i < count; i++) get_and_free(client);
    double seconds = (double)(now_ns() - t0) / 1e9;
    long rss_after = proc_status_kb("VmRSS");
    long hwm = proc_status_kb("VmHWM");

    printf("{\"cycles\":%ld,\"seconds\":%.3f,\"rss_before_kb\":%ld,\"rss_after_kb\":%ld,\"hwm_kb\":%ld,", count, seconds,
           rss_before, rss_after, hwm);
    print_stats(client);
    printf("}\n");
    vf_client_free(client);
    return 0;
}
