/* Test-only stand-in for bcryptprimitives.dll under wine 8.0, which lacks ProcessPrng (Rust's
 * standard library imports it; every Windows 10 and later has it). Forwards to RtlGenRandom
 * (advapi32's SystemFunction036). Built by `make windows` into the wine test directory only;
 * never shipped, never placed next to the DLL users get. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* Fills `data` with `length` random bytes. Like the real one, never fails: a failure here would
 * leave the caller with predictable bytes, so the process stops instead. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) ExitProcess(70);
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
