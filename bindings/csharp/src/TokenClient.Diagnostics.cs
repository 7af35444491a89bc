using System;
using System.Threading;

namespace VidiFlow.Auth
{
    /// <summary>How much a log message of the library matters (<c>vf_log_level</c>).</summary>
    public enum VidiFlowLogLevel
    {
        /// <summary>A token call failed.</summary>
        Error = 1,

        /// <summary>Something went wrong that the library worked around (a retry, a failed refresh
        /// while the cached token is still valid).</summary>
        Warn = 2,

        /// <summary>A token or discovery document was fetched.</summary>
        Info = 3,

        /// <summary>Details of each attempt.</summary>
        Debug = 4,
    }

    /// <summary>A client's counters since it was made (<c>vf_client_stats</c>).</summary>
    public sealed class TokenClientStats
    {
        internal TokenClientStats(NativeMethods.VfStats stats, NativeMethods.VfSharedStats shared)
        {
            Hits = (long)stats.Hits;
            Misses = (long)stats.Misses;
            Requests = (long)stats.Requests;
            FailedRequests = (long)stats.FailedRequests;
            Errors = (long)stats.Errors;
            SharedHits = (long)shared.SharedHits;
            RedisHits = (long)shared.RedisHits;
            RedisMisses = (long)shared.RedisMisses;
            RedisErrors = (long)shared.RedisErrors;
        }

        /// <summary>Token calls answered from the cache.</summary>
        public long Hits { get; private set; }

        /// <summary>Token calls not answered from this process's cache: they waited for a request
        /// to the authority, or read the host-level cache.</summary>
        public long Misses { get; private set; }

        /// <summary>Token requests this client sent to the authority, retries included.</summary>
        public long Requests { get; private set; }

        /// <summary>Of those, the ones that failed.</summary>
        public long FailedRequests { get; private set; }

        /// <summary>Token calls that threw.</summary>
        public long Errors { get; private set; }

        /// <summary>Tokens taken from the host-level cache (fetched by another process) instead
        /// of asking the authority: on a miss, or for a refresh (<c>vf_client_shared_stats</c>,
        /// as the three below).</summary>
        public long SharedHits { get; private set; }

        /// <summary>Tokens taken from the fleet-level cache (Redis: fetched by another host or
        /// process) instead of asking the authority.</summary>
        public long RedisHits { get; private set; }

        /// <summary>Looks in Redis that found no usable token (then one host asked the
        /// authority).</summary>
        public long RedisMisses { get; private set; }

        /// <summary>Redis commands that failed; each made the client skip Redis for a
        /// while.</summary>
        public long RedisErrors { get; private set; }
    }

    public sealed partial class TokenClient
    {
        /// <summary>Kept for the life of the process: the library may call it from any thread
        /// until it is replaced, and a collected delegate would crash the process.</summary>
        private static readonly NativeMethods.LogCallback LogDelivery = DeliverLog;
        private static readonly object LogLock = new object();
        private static Action<VidiFlowLogLevel, string> logHandler;
        private static bool logHookedToExit;

        /// <summary>The client's counters. Safe while other threads use the client.</summary>
        /// <returns>A copy of the counters.</returns>
        /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
        public TokenClientStats GetStats()
        {
            NativeMethods.VfStats stats = default(NativeMethods.VfStats);
            NativeMethods.VfSharedStats shared = default(NativeMethods.VfSharedStats);
            CallChecked(client =>
            {
                uint status = NativeMethods.vf_client_stats(client, out stats);
                return status != (uint)VidiFlowStatus.Ok ? status : NativeMethods.vf_client_shared_stats(client, out shared);
            });
            return new TokenClientStats(stats, shared);
        }

        /// <summary>
        /// Lifts a hold on the client's identity, so the next token call that needs a token asks
        /// the authority at once: the wait a Retry-After imposed, the backoff after failures, or a
        /// remembered refusal such as <c>invalid_client</c>. For an operator who fixed the cause.
        /// The cached token is kept; every client of the same identity is affected
        /// (<c>vf_client_clear_hold</c>).
        /// </summary>
        /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
        public void ClearHold()
        {
            CallChecked(NativeMethods.vf_client_clear_hold);
        }

        /// <summary>Runs <paramref name="call"/> on the native client and throws for a status that
        /// is not Ok, or for a client disposed before or during the call.</summary>
        private void CallChecked(Func<ClientHandle, uint> call)
        {
            ThrowIfDisposed();
            uint status;
            try
            {
                status = call(handle);
            }
            catch (ObjectDisposedException)
            {
                throw Disposed();
            }
            if (status != (uint)VidiFlowStatus.Ok)
            {
                throw VidiFlowAuthException.FromNative(status, null);
            }
        }

        /// <summary>
        /// Sends the library's log messages to <paramref name="handler"/> (null: silence, the
        /// default). Process-wide, like <c>vf_set_log_callback</c>: the last call wins. Messages
        /// never hold a secret, a request body or a token.
        /// </summary>
        /// <remarks>The handler may run on any thread, the library's own included, while a token
        /// request is in progress: it must be quick and must not get a token itself. Exceptions it
        /// throws are dropped. When this returns, the previous handler is no longer called.</remarks>
        /// <param name="handler">Gets the level and the message, or null.</param>
        public static void SetLogHandler(Action<VidiFlowLogLevel, string> handler)
        {
            NativeLibraryLoader.EnsureLoaded();
            lock (LogLock)
            {
                if (!logHookedToExit)
                {
                    // The library's threads must not call into a runtime that is shutting down.
                    AppDomain.CurrentDomain.ProcessExit += (sender, args) => SetLogHandler(null);
                    logHookedToExit = true;
                }
                bool wasInstalled = logHandler != null;
                Volatile.Write(ref logHandler, handler);
                if (wasInstalled != (handler != null))
                {
                    InstallLogCallback(handler != null);
                }
            }
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static void InstallLogCallback(bool install)
        {
            NativeMethods.vf_set_log_callback(install ? LogDelivery : null, IntPtr.Zero);
        }

        private static void DeliverLog(IntPtr userData, uint level, IntPtr message)
        {
            try
            {
                Action<VidiFlowLogLevel, string> handler = Volatile.Read(ref logHandler);
                if (handler != null)
                {
                    handler((VidiFlowLogLevel)level, Utf8.Read(message) ?? string.Empty);
                }
            }
            catch (Exception)
            {
                // Nothing may unwind into the library.
            }
        }
    }
}
