using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace VidiFlow.Auth
{
    /// <summary>
    /// Every native declaration of the binding: the C API of libvidiflow_auth
    /// (include/vidiflow_auth.h), plus the two loader hooks used to find the library.
    /// </summary>
    /// <remarks>
    /// <para>Strings go in as NUL-terminated UTF-8 <c>byte[]</c> (see <see cref="Utf8"/>), which every
    /// runtime marshals the same way (a pinned pointer), and come out as <see cref="IntPtr"/>: the
    /// library owns them, so they are copied with <see cref="Utf8.Read"/> and never freed by the
    /// marshaller.</para>
    /// <para>Methods that call into this class must not run before
    /// <see cref="NativeLibraryLoader.EnsureLoaded"/>: Mono resolves a P/Invoke when it compiles the
    /// calling method, so the callers are kept apart (see <see cref="NativeLibraryLoader"/>).</para>
    /// </remarks>
    internal static class NativeMethods
    {
        /// <summary><c>vf_stats</c>: a client's counters.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct VfStats
        {
            internal ulong Hits;
            internal ulong Misses;
            internal ulong Requests;
            internal ulong FailedRequests;
            internal ulong Errors;
        }

        /// <summary><c>vf_shared_stats</c>: the counters of a client's shared cache levels.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct VfSharedStats
        {
            internal ulong SharedHits;
            internal ulong RedisHits;
            internal ulong RedisMisses;
            internal ulong RedisErrors;
        }

        /// <summary>The name in every DllImport below; the loader maps it to a file.</summary>
        internal const string Library = "vidiflow_auth";

        /// <summary>The ABI version this binding was written for (vf_abi_version()).</summary>
        internal const uint ExpectedAbiVersion = 1;

        private const CallingConvention Cdecl = CallingConvention.Cdecl;

        // --- library -----------------------------------------------------------------------

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern uint vf_abi_version();

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern IntPtr vf_version();

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern IntPtr vf_status_name(uint status);

        /// <summary><c>vf_log_callback</c>: user data, <c>vf_log_level</c>, the message (valid only
        /// during the call).</summary>
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void LogCallback(IntPtr userData, uint level, IntPtr message);

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern void vf_set_log_callback(LogCallback callback, IntPtr userData);

        // --- options -----------------------------------------------------------------------

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern OptionsHandle vf_options_new();

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern uint vf_options_set(OptionsHandle options, byte[] key, byte[] value, out ErrorHandle err);

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern uint vf_options_from_env(OptionsHandle options, out ErrorHandle err);

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern void vf_options_free(IntPtr options);

        // --- client ------------------------------------------------------------------------

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern uint vf_client_new(OptionsHandle options, out ClientHandle client, out ErrorHandle err);

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern void vf_client_free(IntPtr client);

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern uint vf_client_stats(ClientHandle client, out VfStats stats);

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern uint vf_client_shared_stats(ClientHandle client, out VfSharedStats stats);

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern uint vf_client_clear_hold(ClientHandle client);

        // --- token -------------------------------------------------------------------------

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern uint vf_token_get(ClientHandle client, out IntPtr token, out IntPtr err);

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern uint vf_token_get_valid_for(ClientHandle client, uint seconds, out IntPtr token, out IntPtr err);

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern uint vf_token_invalidate(ClientHandle client, byte[] rejectedAccessToken);

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern IntPtr vf_token_access_token(IntPtr token);

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern IntPtr vf_token_authorization(IntPtr token);

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern IntPtr vf_token_type(IntPtr token);

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern IntPtr vf_token_scope(IntPtr token);

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern long vf_token_expires_at(IntPtr token);

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern long vf_token_expires_in(IntPtr token);

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern void vf_token_free(IntPtr token);

        // --- error -------------------------------------------------------------------------

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern uint vf_error_status(ErrorHandle error);

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern IntPtr vf_error_message(ErrorHandle error);

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern IntPtr vf_error_oauth_error(ErrorHandle error);

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern IntPtr vf_error_oauth_description(ErrorHandle error);

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern IntPtr vf_error_oauth_uri(ErrorHandle error);

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern ushort vf_error_http_status(ErrorHandle error);

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern ulong vf_error_retry_after_ms(ErrorHandle error);

        [DllImport(Library, CallingConvention = Cdecl)]
        internal static extern void vf_error_free(IntPtr error);

        // --- loader hooks (see NativeLibraryLoader) ----------------------------------------

        /// <summary>Mono's embedding API: maps a DllImport name to a file, for every assembly.
        /// Exported by the Mono runtime itself, hence "__Internal".</summary>
        [DllImport("__Internal", EntryPoint = "mono_dllmap_insert", CallingConvention = Cdecl)]
        internal static extern void mono_dllmap_insert(IntPtr assembly, byte[] dll, byte[] func, byte[] tdll, byte[] tfunc);

        /// <summary>Windows (.NET Framework): loading the DLL by full path first makes a later
        /// DllImport of the same module name bind to it.</summary>
        [DllImport("kernel32", EntryPoint = "LoadLibraryW", CharSet = CharSet.Unicode, SetLastError = true)]
        internal static extern IntPtr LoadLibraryW(string path);
    }
}
