/* The DLL's version resource, read the way Windows Explorer and installers read it
 * (GetFileVersionInfo), names the version the library reports (vf_version()).
 *
 *   wine64 version_test.exe PATH-OF-vidiflow_auth.dll
 *
 * Prints the version found; exits 1 when it is missing or differs. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vidiflow_auth.h"

int main(int argc, char **argv) {
    if (argc != 2) {
        printf("usage: version_test PATH-OF-vidiflow_auth.dll\n");
        return 2;
    }
    DWORD ignored = 0;
    DWORD size = GetFileVersionInfoSizeA(argv[1], &ignored);
    if (size == 0) {
        printf("FAIL: %s has no version resource (error %lu)\n", argv[1], (unsigned long)GetLastError());
        return 1;
    }
    void *info = malloc(size);
    if (info == NULL || !GetFileVersionInfoA(argv[1], 0, size, info)) {
        printf("FAIL: cannot read the version resource of %s\n", argv[1]);
        return 1;
    }
    int failed = 0;
    const char *names[] = {"ProductVersion", "FileVersion"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char query[64];
        snprintf(query, sizeof query, "\\StringFileInfo\\040904B0\\%s", names[i]);
        char *value = NULL;
        UINT length = 0;
        if (!VerQueryValueA(info, query, (void **)&value, &length) || length == 0) {
            printf("FAIL: no %s in the version resource\n", names[i]);
            failed = 1;
        } else if (strcmp(value, vf_version()) != 0) {
            printf("FAIL: %s is %s, vf_version() is %s\n", names[i], value, vf_version());
            failed = 1;
        } else {
            printf("%s: %s (the same as vf_version())\n", names[i], value);
        }
    }
    VS_FIXEDFILEINFO *fixed = NULL;
    UINT length = 0;
    if (!VerQueryValueA(info, "\\", (void **)&fixed, &length) || length < sizeof *fixed) {
        printf("FAIL: no fixed file information\n");
        failed = 1;
    } else {
        char numeric[64];
        snprintf(numeric, sizeof numeric, "%lu.%lu.%lu", (unsigned long)HIWORD(fixed->dwFileVersionMS),
                 (unsigned long)LOWORD(fixed->dwFileVersionMS), (unsigned long)HIWORD(fixed->dwFileVersionLS));
        if (strcmp(numeric, vf_version()) != 0) {
            printf("FAIL: the numeric file version is %s, vf_version() is %s\n", numeric, vf_version());
            failed = 1;
        }
    }
    free(info);
    return failed;
}
