using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace VidiFlow.Auth
{
    /// <summary>
    /// Gets OAuth 2.0 client-credentials access tokens from libvidiflow_auth's process-wide cache.
    /// Thread-safe: create one per identity and share it. Clients with the same authority, client
    /// id, secret, scopes and resource share one cached token, and concurrent callers that miss the
    /// cache share one request to the authority.
    /// </summary>
    /// <example>
    /// <code>
    /// using (var client = new TokenClient(new TokenClientOptions
    /// {
    ///     Authority = "https://login.example.com/Integrations/Authentication/core",
    ///     ClientId = "my-service",
    ///     ClientSecret = secret,
    ///     Scope = "api1",
    /// }))
    /// {
    ///     AccessToken token = client.GetToken();
    ///     request.Headers.TryAddWithoutValidation("Authorization", token.AuthorizationHeader);
    /// }
    /// </code>
    /// </example>
    public sealed partial class TokenClient : IDisposable
    {
        private readonly ClientHandle handle;
        private readonly TokenMemo memo = new TokenMemo();

        /// <summary>
        /// Creates a client from <paramref name="options"/>. Sends no request: the first token call
        /// does.
        /// </summary>
        /// <param name="options">The authority, identity and settings.</param>
        /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
        /// <exception cref="ConfigurationException">An option is unknown, malformed, missing or in
        /// conflict, or the secret file cannot be read.</exception>
        /// <exception cref="TlsException">The CA file cannot be read.</exception>
        /// <exception cref="DllNotFoundException">libvidiflow_auth was not found.</exception>
        public TokenClient(TokenClientOptions options)
        {
            if (options == null)
            {
                throw new ArgumentNullException("options");
            }
            IEnumerable<KeyValuePair<string, string>> pairs = options.ToKeyValues();
            NativeLibraryLoader.EnsureLoaded();
            handle = Create(pairs, false);
        }

        private TokenClient(ClientHandle handle)
        {
            this.handle = handle;
        }

        /// <summary>
        /// Creates a client from the environment: every option whose variable is set and not empty,
        /// <c>VF_</c> and the key in upper case (VF_AUTHORITY, VF_CLIENT_ID, VF_CLIENT_SECRET,
        /// VF_CLIENT_SECRET_FILE, VF_SCOPE, VF_TIMEOUT_MS, ...).
        /// </summary>
        /// <returns>A new client; dispose it when done.</returns>
        /// <exception cref="ConfigurationException">A variable holds a bad value (the message names
        /// the variable), or a required option is missing.</exception>
        public static TokenClient FromEnvironment()
        {
            return FromEnvironment(null);
        }

        /// <summary>
        /// Creates a client from the environment (see <see cref="FromEnvironment()"/>), then
        /// applies <paramref name="overrides"/> on top: what code sets wins over the environment.
        /// </summary>
        /// <param name="overrides">Options to apply after the environment, or null.</param>
        /// <returns>A new client; dispose it when done.</returns>
        public static TokenClient FromEnvironment(TokenClientOptions overrides)
        {
            IEnumerable<KeyValuePair<string, string>> pairs =
                overrides == null ? new KeyValuePair<string, string>[0] : overrides.ToKeyValues();
            NativeLibraryLoader.EnsureLoaded();
            return new TokenClient(Create(pairs, true));
        }

        /// <summary>The version of the native library, e.g. "0.1.0".</summary>
        public static string LibraryVersion
        {
            get
            {
                NativeLibraryLoader.EnsureLoaded();
                return ReadLibraryVersion();
            }
        }

        /// <summary>
        /// Gets a token valid beyond the library's safety buffer (10 % of its lifetime, at most
        /// 60 s), and for at least <paramref name="minValidity"/> more: the cached one when there
        /// is one, else one fetched now. Blocks at most the client's timeout.
        /// </summary>
        /// <param name="minValidity">How long the token must stay valid, e.g. the length of the
        /// job that uses it; whole seconds, rounded up. Zero (the default) for no minimum.</param>
        /// <returns>A copy of the token.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="minValidity"/> is negative
        /// or longer than <see cref="uint.MaxValue"/> seconds.</exception>
        /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
        /// <exception cref="InvalidArgumentException">The authority's tokens never live
        /// <paramref name="minValidity"/>.</exception>
        /// <exception cref="VidiFlowAuthException">The token could not be had: a subclass per
        /// cause (<see cref="OAuthException"/>, <see cref="NetworkException"/>, ...).</exception>
        public AccessToken GetToken(TimeSpan minValidity = default(TimeSpan))
        {
            return Fetch(Seconds(minValidity));
        }

        /// <summary>
        /// <see cref="GetToken"/> on the thread pool. Cancelling stops the wait at once; the native
        /// call itself is bounded by the client's timeout and its result is dropped.
        /// </summary>
        /// <param name="minValidity">As for <see cref="GetToken"/>.</param>
        /// <param name="cancellationToken">Stops the wait.</param>
        /// <returns>The token, or a task that fails as <see cref="GetToken"/> would, or is
        /// cancelled.</returns>
        public Task<AccessToken> GetTokenAsync(TimeSpan minValidity = default(TimeSpan), CancellationToken cancellationToken = default(CancellationToken))
        {
            uint seconds = Seconds(minValidity);
            ThrowIfDisposed();
            if (cancellationToken.IsCancellationRequested)
            {
                return Task.FromCanceled<AccessToken>(cancellationToken);
            }
            Task<AccessToken> work = Task.Run(() => Fetch(seconds));
            return cancellationToken.CanBeCanceled ? WithCancellation(work, cancellationToken) : work;
        }

        /// <summary><see cref="GetToken"/> on the thread pool, with no minimum validity.</summary>
        /// <param name="cancellationToken">Stops the wait.</param>
        /// <returns>The token.</returns>
        public Task<AccessToken> GetTokenAsync(CancellationToken cancellationToken)
        {
            return GetTokenAsync(TimeSpan.Zero, cancellationToken);
        }

        /// <summary>
        /// Tells the cache that an API rejected <paramref name="token"/> (say, with HTTP 401): if it
        /// is still the cached token it is dropped, and the next call fetches a new one. A newer
        /// cached token is kept, so many threads reporting the same old token cause one refetch.
        /// </summary>
        /// <param name="token">The rejected token.</param>
        /// <exception cref="ArgumentNullException"><paramref name="token"/> is null.</exception>
        /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
        public void Invalidate(AccessToken token)
        {
            if (token == null)
            {
                throw new ArgumentNullException("token");
            }
            ThrowIfDisposed();
            byte[] value = Utf8.Bytes(token.Value);
            try
            {
                uint status = NativeMethods.vf_token_invalidate(handle, value);
                if (status != (uint)VidiFlowStatus.Ok)
                {
                    throw VidiFlowAuthException.FromNative(status, null);
                }
            }
            finally
            {
                Utf8.Wipe(value);
            }
        }

        /// <summary>Frees the native client. Safe to call more than once and while other threads
        /// still use the client: they finish their call first, later calls throw
        /// <see cref="ObjectDisposedException"/>. Tokens already handed out stay valid.</summary>
        public void Dispose()
        {
            handle.Dispose();
            memo.Dispose();
        }

        private AccessToken Fetch(uint seconds)
        {
            ThrowIfDisposed();
            IntPtr token;
            IntPtr error;
            uint status;
            try
            {
                status = seconds == 0
                    ? NativeMethods.vf_token_get(handle, out token, out error)
                    : NativeMethods.vf_token_get_valid_for(handle, seconds, out token, out error);
            }
            catch (ObjectDisposedException)
            {
                // Disposed by another thread between the check and the call.
                throw Disposed();
            }
            if (status != (uint)VidiFlowStatus.Ok)
            {
                NativeMethods.vf_token_free(token);
                throw VidiFlowAuthException.FromNative(status, new ErrorHandle(error));
            }
            // A hit: the token handed out last time, with no string read.
            AccessToken known = memo.Find(token);
            if (known != null)
            {
                NativeMethods.vf_token_free(token);
                return known;
            }
            AccessToken copy;
            try
            {
                copy = AccessToken.Copy(token);
            }
            catch
            {
                NativeMethods.vf_token_free(token);
                throw;
            }
            memo.Keep(token, copy);
            if (handle.IsClosed)
            {
                // Disposed meanwhile: what Dispose freed before this Keep is freed now.
                memo.Dispose();
            }
            return copy;
        }

        private void ThrowIfDisposed()
        {
            if (handle.IsClosed)
            {
                throw Disposed();
            }
        }

        private static ObjectDisposedException Disposed()
        {
            return new ObjectDisposedException(typeof(TokenClient).FullName);
        }

        private static uint Seconds(TimeSpan minValidity)
        {
            if (minValidity < TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException("minValidity", "cannot be negative");
            }
            double seconds = Math.Ceiling(minValidity.TotalSeconds);
            if (seconds > uint.MaxValue)
            {
                throw new ArgumentOutOfRangeException("minValidity", "at most uint.MaxValue seconds");
            }
            return (uint)seconds;
        }

        private static async Task<AccessToken> WithCancellation(Task<AccessToken> work, CancellationToken cancellationToken)
        {
            var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            using (cancellationToken.Register(state => ((TaskCompletionSource<bool>)state).TrySetResult(true), cancelled))
            {
                Task first = await Task.WhenAny(work, cancelled.Task).ConfigureAwait(false);
                if (first != work)
                {
                    Observe(work);
                    throw new OperationCanceledException(cancellationToken);
                }
            }
            return await work.ConfigureAwait(false);
        }

        /// <summary>The native call runs on after a cancelled wait: observe its outcome, so a
        /// failure is not reported as an unobserved task exception.</summary>
        private static void Observe(Task work)
        {
            work.ContinueWith(
                t => { var ignored = t.Exception; },
                CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        // Native calls that can run first in a process live in their own methods, never inlined,
        // so Mono compiles them only after NativeLibraryLoader.EnsureLoaded (see there).

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static ClientHandle Create(IEnumerable<KeyValuePair<string, string>> pairs, bool fromEnvironment)
        {
            using (OptionsHandle options = NativeMethods.vf_options_new())
            {
                if (options.IsInvalid)
                {
                    throw new InternalException("vf_options_new failed (an internal error in the library)");
                }
                ErrorHandle error;
                uint status;
                if (fromEnvironment)
                {
                    status = NativeMethods.vf_options_from_env(options, out error);
                    Check(status, error);
                }
                foreach (KeyValuePair<string, string> pair in pairs)
                {
                    byte[] key = Bytes(pair.Key, "(the key)");
                    if (!TokenClientOptions.KnownKeys.Contains(pair.Key))
                    {
                        // Not in the generated table: let the library refuse the key (its message
                        // names no key, which given in the wrong place may be the secret) before
                        // any message here quotes it. A library newer than this binding may know it.
                        status = NativeMethods.vf_options_set(options, key, new byte[] { 0 }, out error);
                        Check(status, error);
                    }
                    byte[] value = Bytes(pair.Value, pair.Key);
                    try
                    {
                        status = NativeMethods.vf_options_set(options, key, value, out error);
                    }
                    finally
                    {
                        Utf8.Wipe(value);
                    }
                    Check(status, error);
                }
                ClientHandle client;
                status = NativeMethods.vf_client_new(options, out client, out error);
                if (status != (uint)VidiFlowStatus.Ok)
                {
                    client.Dispose();
                }
                Check(status, error);
                return client;
            }
        }

        private static void Check(uint status, ErrorHandle error)
        {
            if (status != (uint)VidiFlowStatus.Ok)
            {
                throw VidiFlowAuthException.FromNative(status, error);
            }
            error.Dispose();
        }

        private static byte[] Bytes(string text, string key)
        {
            if (text.IndexOf('\0') >= 0)
            {
                // The library would see a shortened string; it rejects NUL itself for values.
                throw new ConfigurationException(string.Format("option '{0}': the value contains a NUL character, which is not allowed", Printable(key)));
            }
            try
            {
                return Utf8.Bytes(text);
            }
            catch (EncoderFallbackException)
            {
                throw new ConfigurationException(string.Format("option '{0}': the text is not valid Unicode", Printable(key)));
            }
        }

        private static string Printable(string key)
        {
            var builder = new StringBuilder();
            foreach (char c in key)
            {
                builder.Append(char.IsControl(c) || char.IsSurrogate(c) ? '?' : c);
            }
            return builder.ToString();
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static string ReadLibraryVersion()
        {
            return Utf8.Read(NativeMethods.vf_version());
        }
    }
}
