using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace VidiFlow.Auth.Tests
{
    /// <summary>
    /// The tests, in the order they run. The token cache is process-wide and keyed by identity
    /// (authority, client, secret, scopes, resource), so each test that counts requests at the
    /// authority resets the counter and uses an identity no earlier test used: a cold key.
    /// </summary>
    internal static class Tests
    {
        private const string WrongSecret = "wrong-secret-zzz-0042";
        private const string BadLineSecret = "first-half-0043\nsecond-half-0044";

        private static readonly string[] Secrets =
        {
            Authority.PostSecret, Authority.BasicSecret, Authority.Post2Secret, WrongSecret, BadLineSecret, "first-half-0043", "second-half-0044",
        };

        /// <summary>The token of the first test, to compare with what other clients get.</summary>
        private static AccessToken firstToken;

        public static void Register(List<KeyValuePair<string, Action>> tests)
        {
            Add(tests, "library loads, reports its version and matches the ABI", LibraryLoads);
            Add(tests, "status enum matches vf_status_name for every value", StatusEnumMatchesHeader);
            Add(tests, "library search: next to the assembly, VF_LIBRARY_PATH, then the system", LibrarySearchOrder);
            Add(tests, "library nowhere: DllNotFoundException saying where it looked", LibraryNotFound);
            Add(tests, "token fetch: one request, then the cache", TokenFetch);
            Add(tests, "options: properties, auth method, token endpoint, secret file, bag", OptionsProperties);
            Add(tests, "environment: FromEnvironment, overrides, bad and missing variables", Environment_);
            Add(tests, "exception family: InvalidArgument", ExceptionInvalidArgument);
            Add(tests, "exception family: Config", ExceptionConfig);
            Add(tests, "exception family: Discovery", ExceptionDiscovery);
            Add(tests, "exception family: Network", ExceptionNetwork);
            Add(tests, "exception family: Timeout", ExceptionTimeout);
            Add(tests, "exception family: Tls", ExceptionTls);
            Add(tests, "exception family: OAuth (invalid_client, invalid_scope)", ExceptionOAuth);
            Add(tests, "exception family: Http (503, 429 with Retry-After)", ExceptionHttp);
            Add(tests, "exception family: Protocol", ExceptionProtocol);
            Add(tests, "exception table: one type per status, Throttled and Internal included", ExceptionTable);
            Add(tests, "generated option table: exactly the keys the library knows", OptionTableMatchesLibrary);
            Add(tests, "generated option properties reach the library under their keys", GeneratedPropertiesReachLibrary);
            Add(tests, "GetStats counts hits, misses, requests and errors", StatsCount);
            Add(tests, "GetStats counts a token another process left in the host level", SharedStatsCount);
            Add(tests, "SetLogHandler gets the library's messages, without secrets; null silences", LogHandlerGetsMessages);
            Add(tests, "8 threads get tokens while the log handler changes", LogHandlerChangesUnderLoad);
            Add(tests, "16 threads on a cold cache: exactly 1 request at the authority", SixteenThreadsOneRequest);
            Add(tests, "16 async callers on a cold cache: exactly 1 request", SixteenAsyncOneRequest);
            Add(tests, "GetTokenAsync honours cancellation", AsyncCancellation);
            Add(tests, "Invalidate drops only the cached token", InvalidateDropsCachedToken);
            Add(tests, "a hit returns the same AccessToken object, on every thread; a new token a new one", HitsAreMemoised);
            Add(tests, "Dispose twice is safe; use after Dispose throws ObjectDisposedException", DisposeTwice);
            Add(tests, "Dispose while other threads get tokens; finalizers free the rest", DisposeRacesAndFinalizers);
            Add(tests, "out-parameters: error handle stays empty on success", OutParamsOnSuccess);
            Add(tests, "BearerTokenHandler: 401 invalidates, refetches and resends once", HandlerRetriesOnce);
            Add(tests, "BearerTokenHandler: a second 401 is returned, not retried again", HandlerGivesUpAfterOneRetry);
            Add(tests, "no secret in any exception text or ToString", NoSecretAnywhere);
        }

        private static void Add(List<KeyValuePair<string, Action>> tests, string name, Action body)
        {
            tests.Add(new KeyValuePair<string, Action>(name, body));
        }

        // --- the generated tables ----------------------------------------------------------

        private static void OptionTableMatchesLibrary()
        {
            // The library's refusal of an unknown key lists every key it knows.
            TokenClientOptions unknown = Authority.Options("vf-post", Authority.PostSecret, "api1");
            unknown.AdditionalOptions["no_such_option"] = "x";
            ConfigurationException e = Check.Fails<ConfigurationException>(() => new TokenClient(unknown), VidiFlowStatus.Config, "unknown key");
            int at = e.Message.IndexOf("Known keys: ", StringComparison.Ordinal);
            Check.True(at >= 0, "the message lists the known keys: " + e.Message);
            string[] known = e.Message.Substring(at + "Known keys: ".Length).TrimEnd('.').Split(new[] { ", " }, StringSplitOptions.None);
            Check.Equal(known.Length, TokenClientOptions.KnownKeys.Count, "as many keys as the library");
            foreach (string key in known)
            {
                Check.True(TokenClientOptions.KnownKeys.Contains(key), "the generated table has " + key);
            }
        }

        private static void GeneratedPropertiesReachLibrary()
        {
            TokenClientOptions options = Authority.Options("vf-post", Authority.PostSecret, "api1");
            options.MaxRetryAfter = TimeSpan.FromDays(2);
            ConfigurationException e = Check.Fails<ConfigurationException>(() => new TokenClient(options), VidiFlowStatus.Config, "max_retry_after beyond a day");
            Check.Contains("option 'max_retry_after'", e.Message, "the generated property sets max_retry_after");
            options = Authority.Options("vf-post", Authority.PostSecret, "api1");
            options.DefaultExpiresIn = TimeSpan.FromSeconds(120);
            options.ValidateIssuer = true;
            options.CacheDir = "none";
            using (var client = new TokenClient(options))
            {
                Check.True(client.GetToken().Value.Length > 0, "a token with the generated properties set");
            }
        }

        // --- stats and logs ------------------------------------------------------------------

        private static void StatsCount()
        {
            TokenClientOptions options = Authority.Options("vf-post", Authority.PostSecret, "api1");
            options.CacheDir = "none";
            using (var client = new TokenClient(options))
            {
                TokenClientStats zero = client.GetStats();
                Check.Equal(0L, zero.Hits + zero.Misses + zero.Requests + zero.Errors, "a new client has counted nothing");
                AccessToken first = client.GetToken();
                client.Invalidate(first);
                client.GetToken();
                TokenClientStats before = client.GetStats();
                client.GetToken();
                TokenClientStats after = client.GetStats();
                Check.Equal(before.Hits + 1, after.Hits, "a cached token is a hit");
                Check.Equal(before.Misses, after.Misses, "and no miss");
                Check.True(before.Requests >= 1 && before.Misses >= 1, "the invalidated token was fetched again");
                Check.Equal(0L, after.Errors, "no errors");
            }
            TokenClientOptions wrong = Authority.Options("vf-post", "not-the-secret", "api1");
            wrong.CacheDir = "none";
            var failing = new TokenClient(wrong);
            Check.Fails<OAuthException>(() => failing.GetToken(), VidiFlowStatus.OAuth, "wrong secret");
            TokenClientStats failed = failing.GetStats();
            Check.Equal(1L, failed.Errors, "one failed call");
            Check.True(failed.FailedRequests >= 1, "its request failed");
            failing.Dispose();
            Check.Throws<ObjectDisposedException>(() => failing.GetStats(), "stats of a disposed client");
        }

        private static void SharedStatsCount()
        {
            string dir = Path.Combine(Path.GetTempPath(), "vf-cs-host-level-" + Guid.NewGuid().ToString("N"));
            try
            {
                var env = new Dictionary<string, string> { { "VF_CACHE_DIR", dir } };
                Child.Result first = Child.Run("stats", env);
                Check.Equal("requests 1 shared 0 redis 0/0/0", first.Output.Trim(), "the first process asks the authority");
                Child.Result second = Child.Run("stats", env);
                Check.Equal("requests 0 shared 1 redis 0/0/0", second.Output.Trim(), "the next one takes the token from the host level");
            }
            finally
            {
                if (Directory.Exists(dir))
                {
                    Directory.Delete(dir, true);
                }
            }
        }

        private static void LogHandlerGetsMessages()
        {
            var messages = new System.Collections.Concurrent.ConcurrentQueue<KeyValuePair<VidiFlowLogLevel, string>>();
            TokenClient.SetLogHandler((level, message) => messages.Enqueue(new KeyValuePair<VidiFlowLogLevel, string>(level, message)));
            try
            {
                TokenClientOptions options = Authority.Options("vf-post", Authority.PostSecret, "api2");
                options.CacheDir = "none";
                using (var client = new TokenClient(options))
                {
                    client.Invalidate(client.GetToken());
                    client.GetToken();
                }
                TokenClientOptions wrong = Authority.Options("vf-post", "wrong-s3cret-value", "api1");
                wrong.CacheDir = "none";
                using (var failing = new TokenClient(wrong))
                {
                    Check.Fails<OAuthException>(() => failing.GetToken(), VidiFlowStatus.OAuth, "wrong secret");
                }
            }
            finally
            {
                TokenClient.SetLogHandler(null);
            }
            Check.True(messages.Any(m => m.Key == VidiFlowLogLevel.Info), "a fetch is logged at Info");
            Check.True(messages.Any(m => m.Key == VidiFlowLogLevel.Error), "a failed call is logged at Error");
            foreach (KeyValuePair<VidiFlowLogLevel, string> m in messages)
            {
                Check.True(!m.Value.Contains(Authority.PostSecret) && !m.Value.Contains("s3cret"), "no secret in: " + m.Value);
            }
            int count = messages.Count;
            TokenClientOptions quiet = Authority.Options("vf-post", Authority.PostSecret, "api1");
            quiet.CacheDir = "none";
            using (var client = new TokenClient(quiet))
            {
                client.Invalidate(client.GetToken());
                client.GetToken();
            }
            Check.Equal(count, messages.Count, "no message after SetLogHandler(null)");
        }

        private static void LogHandlerChangesUnderLoad()
        {
            int delivered = 0;
            Action<VidiFlowLogLevel, string> counting = (level, message) => Interlocked.Increment(ref delivered);
            TokenClientOptions options = Authority.Options("vf-post", Authority.PostSecret, "api1 api2");
            options.CacheDir = "none";
            using (var client = new TokenClient(options))
            {
                var stop = new ManualResetEventSlim(false);
                var toggler = new Thread(() =>
                {
                    while (!stop.IsSet)
                    {
                        TokenClient.SetLogHandler(counting);
                        TokenClient.SetLogHandler((level, message) => { throw new InvalidOperationException("dropped"); });
                        TokenClient.SetLogHandler(null);
                    }
                });
                toggler.Start();
                var workers = new List<Thread>();
                int failures = 0;
                for (int i = 0; i < 8; i++)
                {
                    var worker = new Thread(() =>
                    {
                        try
                        {
                            for (int n = 0; n < 20; n++)
                            {
                                client.Invalidate(client.GetToken());
                            }
                        }
                        catch (Exception)
                        {
                            Interlocked.Increment(ref failures);
                        }
                    });
                    workers.Add(worker);
                    worker.Start();
                }
                foreach (Thread worker in workers)
                {
                    worker.Join();
                }
                stop.Set();
                toggler.Join();
                TokenClient.SetLogHandler(null);
                Check.Equal(0, failures, "no token call failed");
                TokenClientStats stats = client.GetStats();
                Check.Equal(160L, stats.Hits + stats.Misses, "every call counted once");
                Console.WriteLine("     " + delivered + " messages delivered while the handler changed");
            }
        }

        // --- the library ------------------------------------------------------------------

        private static void LibraryLoads()
        {
            string version = TokenClient.LibraryVersion;
            Check.True(!string.IsNullOrEmpty(version) && char.IsDigit(version[0]), "version looks like a version: " + version);
            Check.True(NativeLibraryLoader.LoadedFrom != null, "the loader says where the library came from");
            Console.WriteLine("     libvidiflow_auth " + version + " from " + NativeLibraryLoader.LoadedFrom);
            CheckAbiVersion();
        }

        // On Mono a P/Invoke is bound when the calling method is compiled: a test method that
        // calls NativeMethods directly must not be compiled before the library is loaded, or that
        // binding fails for good. Hence this separate, never inlined method.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static void CheckAbiVersion()
        {
            Check.Equal(NativeMethods.ExpectedAbiVersion, NativeMethods.vf_abi_version(), "vf_abi_version");
        }

        private static void StatusEnumMatchesHeader()
        {
            foreach (VidiFlowStatus status in Enum.GetValues(typeof(VidiFlowStatus)))
            {
                string native = Utf8.Read(NativeMethods.vf_status_name((uint)status));
                // VF_STATUS_INVALID_ARGUMENT and InvalidArgument, compared without underscores.
                string expected = "VFSTATUS" + status.ToString().ToUpperInvariant();
                Check.Equal(expected, native.Replace("_", ""), "name of status " + (uint)status);
            }
            int count = Enum.GetValues(typeof(VidiFlowStatus)).Length;
            Check.Equal("VF_STATUS_UNKNOWN", Utf8.Read(NativeMethods.vf_status_name((uint)count)), "the first number past the enum is unknown");
        }

        private static void LibrarySearchOrder()
        {
            string nativeDir = System.Environment.GetEnvironmentVariable("VF_TEST_NATIVE_DIR");
            Check.True(!string.IsNullOrEmpty(nativeDir) && File.Exists(Path.Combine(nativeDir, "libvidiflow_auth.so")),
                "VF_TEST_NATIVE_DIR names the folder of libvidiflow_auth.so");
            string nativeFile = Path.Combine(nativeDir, "libvidiflow_auth.so");
            string withLib = CopyProgram("with-lib", true);
            string withoutLib = CopyProgram("without-lib", false);
            try
            {
                var clean = new Dictionary<string, string> { { "LD_LIBRARY_PATH", null }, { "VF_LIBRARY_PATH", null } };

                // 1. Next to the assembly wins, even over VF_LIBRARY_PATH.
                var env = new Dictionary<string, string>(clean);
                env["VF_LIBRARY_PATH"] = nativeFile;
                Child.Result r = Child.Run("where", env, Path.Combine(withLib, ProgramFile()));
                Check.Equal(0, r.ExitCode, "next to the assembly: exit code (" + r.Output + ")");
                Check.Contains("loaded " + Path.Combine(withLib, "libvidiflow_auth.so") + " ", r.Output, "next to the assembly");

                // 1b. The NuGet package as `nuget install` unpacks it: the assembly in
                // lib/netstandard2.0/, the library in runtimes/linux-x64/native/; also before VF_LIBRARY_PATH.
                string packageRoot = Path.Combine(Path.GetTempPath(), "vf-csharp-package-" + Guid.NewGuid().ToString("N"));
                try
                {
                    Directory.CreateDirectory(Path.Combine(packageRoot, "lib"));
                    string packageLib = Path.Combine(packageRoot, "lib", "netstandard2.0");
                    Directory.Move(CopyProgram("package", false), packageLib);
                    string packageNative = Path.Combine(packageRoot, "runtimes", "linux-x64", "native");
                    Directory.CreateDirectory(packageNative);
                    File.Copy(nativeFile, Path.Combine(packageNative, "libvidiflow_auth.so"));
                    r = Child.Run("where", env, Path.Combine(packageLib, ProgramFile()));
                    Check.Equal(0, r.ExitCode, "NuGet package layout: exit code (" + r.Output + ")");
                    Check.Contains("loaded " + Path.GetFullPath(Path.Combine(packageNative, "libvidiflow_auth.so")) + " ", r.Output,
                        "NuGet package layout: runtimes/linux-x64/native");
                }
                finally
                {
                    Directory.Delete(packageRoot, true);
                }

                // 2. VF_LIBRARY_PATH naming the file.
                string program = Path.Combine(withoutLib, ProgramFile());
                r = Child.Run("where", env, program);
                Check.Equal(0, r.ExitCode, "VF_LIBRARY_PATH=file: exit code (" + r.Output + ")");
                Check.Contains("loaded " + nativeFile + " ", r.Output, "VF_LIBRARY_PATH=file");

                // 3. VF_LIBRARY_PATH naming the folder.
                env["VF_LIBRARY_PATH"] = nativeDir;
                r = Child.Run("where", env, program);
                Check.Equal(0, r.ExitCode, "VF_LIBRARY_PATH=folder: exit code (" + r.Output + ")");
                Check.Contains("loaded " + nativeFile + " ", r.Output, "VF_LIBRARY_PATH=folder");

                // 4. The system's search (LD_LIBRARY_PATH).
                env = new Dictionary<string, string>(clean);
                env["LD_LIBRARY_PATH"] = nativeDir;
                r = Child.Run("where", env, program);
                Check.Equal(0, r.ExitCode, "LD_LIBRARY_PATH: exit code (" + r.Output + ")");
                Check.Contains("loaded system search ", r.Output, "LD_LIBRARY_PATH");

                // 5. A VF_LIBRARY_PATH that names nothing is an error, not a silent fallback.
                env = new Dictionary<string, string>(clean);
                env["VF_LIBRARY_PATH"] = Path.Combine(withoutLib, "missing.so");
                env["LD_LIBRARY_PATH"] = nativeDir;
                r = Child.Run("where", env, program);
                Check.Equal(1, r.ExitCode, "bad VF_LIBRARY_PATH: exit code (" + r.Output + ")");
                Check.Contains("names no file or folder", r.Output, "bad VF_LIBRARY_PATH");
            }
            finally
            {
                Directory.Delete(withLib, true);
                Directory.Delete(withoutLib, true);
            }
        }

        /// <summary>Nowhere to be found: a DllNotFoundException that says where it looked and what
        /// to do. Skipped (and reported so) when the system's search finds an installed copy.</summary>
        private static void LibraryNotFound()
        {
            string withoutLib = CopyProgram("nowhere", false);
            try
            {
                var clean = new Dictionary<string, string> { { "LD_LIBRARY_PATH", null }, { "VF_LIBRARY_PATH", null } };
                Child.Result r = Child.Run("where", clean, Path.Combine(withoutLib, ProgramFile()));
                if (r.ExitCode == 0 && r.Output.Contains("loaded system search "))
                {
                    throw new TestSkipped("a system-wide libvidiflow_auth exists (make install?), so the library is never missing here");
                }
                Check.Equal(1, r.ExitCode, "not found: exit code (" + r.Output + ")");
                Check.Contains("DllNotFoundException", r.Output, "not found: exception type");
                Check.Contains("VF_LIBRARY_PATH", r.Output, "not found: names VF_LIBRARY_PATH");
                Check.Contains(Path.Combine(withoutLib, "libvidiflow_auth.so"), r.Output, "not found: names the assembly's folder");
            }
            finally
            {
                Directory.Delete(withoutLib, true);
            }
        }

        private static string ProgramFile()
        {
            return Path.GetFileName(typeof(Tests).Assembly.Location);
        }

        /// <summary>This program's folder copied to a new temporary folder, with or without the
        /// native library.</summary>
        private static string CopyProgram(string name, bool withLibrary)
        {
            string source = Path.GetDirectoryName(typeof(Tests).Assembly.Location);
            string target = Path.Combine(Path.GetTempPath(), "vf-csharp-" + name + "-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(target);
            foreach (string file in Directory.GetFiles(source))
            {
                if (!Path.GetFileName(file).StartsWith("libvidiflow_auth", StringComparison.Ordinal))
                {
                    File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
                }
            }
            if (withLibrary)
            {
                File.Copy(
                    Path.Combine(System.Environment.GetEnvironmentVariable("VF_TEST_NATIVE_DIR"), "libvidiflow_auth.so"),
                    Path.Combine(target, "libvidiflow_auth.so"));
            }
            return target;
        }

        // --- tokens and options -----------------------------------------------------------

        private static void TokenFetch()
        {
            Authority.Reset();
            DateTimeOffset before = DateTimeOffset.UtcNow;
            using (var client = new TokenClient(Authority.Options("vf-post", Authority.PostSecret, "api1")))
            {
                AccessToken token = client.GetToken();
                Check.Equal(1, Authority.TokenRequests(), "token requests after the first call");
                Check.Equal(3, token.Value.Split('.').Length, "the dev authority's tokens are JWTs");
                Check.Equal("Bearer", token.TokenType, "TokenType");
                Check.Equal("api1", token.Scope, "Scope");
                Check.Equal("Bearer " + token.Value, token.AuthorizationHeader, "AuthorizationHeader");
                Check.True(token.ExpiresAt >= before.AddSeconds(3590) && token.ExpiresAt <= DateTimeOffset.UtcNow.AddSeconds(3610),
                    "ExpiresAt is about an hour from now: " + token.ExpiresAt);
                Check.True(token.ToString().IndexOf(token.Value, StringComparison.Ordinal) < 0, "ToString hides the token");

                AccessToken again = client.GetToken();
                Check.Equal(token.Value, again.Value, "the second call is served from the cache");
                AccessToken longer = client.GetToken(TimeSpan.FromMinutes(30));
                Check.Equal(token.Value, longer.Value, "an hour-long token is valid for 30 more minutes");
                AccessToken viaAsync = client.GetTokenAsync().Result;
                Check.Equal(token.Value, viaAsync.Value, "GetTokenAsync gives the cached token");
                Check.Equal(1, Authority.TokenRequests(), "token requests after four calls");
                firstToken = token;
            }
        }

        private static void OptionsProperties()
        {
            // Basic authentication with every typed property set.
            Authority.Reset();
            var basic = new TokenClientOptions
            {
                Authority = Authority.Url,
                ClientId = "vf-basic",
                ClientSecret = Authority.BasicSecret,
                Scope = "api2",
                AuthMethod = ClientAuthMethod.ClientSecretBasic,
                Timeout = TimeSpan.FromSeconds(10),
                ConnectTimeout = TimeSpan.FromSeconds(5),
                AllowHttp = false,
                ValidateEndpoints = true,
                ValidateIssuer = true,
                BasicAuthStyle = BasicAuthStyle.Rfc6749,
                Proxy = "none",
            };
            basic.AdditionalOptions["default_expires_in"] = "300";
            using (var client = new TokenClient(basic))
            {
                AccessToken token = client.GetToken();
                Check.Equal("api2", token.Scope, "basic client: scope");
            }
            string stats = Authority.Stats();
            Check.True(System.Text.RegularExpressions.Regex.IsMatch(stats, "\"authorization\"\\s*:\\s*\"Basic "), "the request used HTTP Basic: " + stats);
            Check.True(stats.IndexOf("client_secret=", StringComparison.Ordinal) < 0, "no secret in the form body with Basic");

            // The RFC 2617 Basic style reaches the library: the dev authority URL-decodes Basic
            // credentials, so the raw '%' of this secret is refused, and the message names the
            // other style.
            using (var client = new TokenClient(new TokenClientOptions
            {
                Authority = Authority.Url,
                ClientId = "vf-basic",
                ClientSecret = Authority.BasicSecret,
                Scope = "api1",
                AuthMethod = ClientAuthMethod.ClientSecretBasic,
                BasicAuthStyle = BasicAuthStyle.Rfc2617,
            }))
            {
                OAuthException e = Check.Fails<OAuthException>(() => client.GetToken(), VidiFlowStatus.OAuth, "Basic in RFC 2617 style");
                Check.Contains("basic_auth_style=rfc6749", e.Message, "the message names the other Basic style");
            }

            // A token endpoint instead of discovery, two scopes.
            using (var client = new TokenClient(new TokenClientOptions
            {
                TokenEndpoint = Authority.Url + "/connect/token",
                ClientId = "vf-post-2",
                ClientSecret = Authority.Post2Secret,
                Scope = "api1 api2",
            }))
            {
                Check.Equal("api1 api2", client.GetToken().Scope, "token endpoint client: scopes");
            }

            // The secret from a file, and a resource.
            string secretFile = Path.GetTempFileName();
            try
            {
                File.WriteAllText(secretFile, Authority.Post2Secret + "\n");
                using (var client = new TokenClient(new TokenClientOptions
                {
                    Authority = Authority.Url,
                    ClientId = "vf-post-2",
                    ClientSecretFile = secretFile,
                    Scope = "api1",
                    Resource = "urn:vidiflow:other",
                }))
                {
                    Check.Equal("api1", client.GetToken().Scope, "secret file client: scope");
                }
            }
            finally
            {
                File.Delete(secretFile);
            }

            // The bag is applied after the properties.
            TokenClientOptions bagged = Authority.Options("vf-post", Authority.PostSecret, "api1");
            bagged.AdditionalOptions["scope"] = "api2";
            using (var client = new TokenClient(bagged))
            {
                Check.Equal("api2", client.GetToken().Scope, "AdditionalOptions win over properties");
            }

            Check.Throws<ArgumentNullException>(() => new TokenClient(null), "null options");
            TokenClientOptions zero = Authority.Options("vf-post", Authority.PostSecret, "api1");
            zero.Timeout = TimeSpan.Zero;
            Check.Throws<ArgumentOutOfRangeException>(() => new TokenClient(zero), "a zero timeout");
        }

        private static void Environment_()
        {
            Check.Equal(Authority.Url, System.Environment.GetEnvironmentVariable("VF_AUTHORITY"), "with-authority.sh sets VF_AUTHORITY");
            Check.True(firstToken != null, "the token fetch test ran first");
            Authority.Reset();
            using (TokenClient client = TokenClient.FromEnvironment())
            {
                AccessToken token = client.GetToken();
                Check.Equal("api1", token.Scope, "VF_SCOPE");
                Check.Equal(firstToken.Value, token.Value, "same identity as the first test: the same cached token");
            }
            Check.Equal(0, Authority.TokenRequests(), "no request: the cache is shared by clients of one identity");

            using (TokenClient client = TokenClient.FromEnvironment(new TokenClientOptions { Scope = "api2" }))
            {
                Check.Equal("api2", client.GetToken().Scope, "overrides win over the environment");
            }

            // In child processes, with a changed environment.
            var env = new Dictionary<string, string> { { "VF_LIBRARY_PATH", NativeDirOrInherited() } };
            Child.Result ok = Child.Run("env", env);
            Check.Equal(0, ok.ExitCode, "child with the environment: exit code (" + ok.Output + ")");
            Check.Contains("token scope api1", ok.Output, "child gets a token from the environment");

            env["VF_CLIENT_ID"] = null;
            Child.Result missing = Child.Run("env", env);
            Check.Equal(1, missing.ExitCode, "child without VF_CLIENT_ID: exit code");
            Check.Contains("ConfigurationException: ", missing.Output, "missing client id: type");
            Check.Contains("client_id", missing.Output, "missing client id: names the option");

            env["VF_CLIENT_ID"] = "vf-post";
            env["VF_TIMEOUT_MS"] = "soon";
            Child.Result bad = Child.Run("env", env);
            Check.Equal(1, bad.ExitCode, "child with a bad VF_TIMEOUT_MS: exit code");
            Check.Contains("ConfigurationException: ", bad.Output, "bad variable: type");
            Check.Contains("VF_TIMEOUT_MS", bad.Output, "bad variable: names the variable");
        }

        private static string NativeDirOrInherited()
        {
            string dir = System.Environment.GetEnvironmentVariable("VF_TEST_NATIVE_DIR");
            return string.IsNullOrEmpty(dir) ? System.Environment.GetEnvironmentVariable("VF_LIBRARY_PATH") : dir;
        }

        // --- exception families -----------------------------------------------------------

        private static void ExceptionInvalidArgument()
        {
            using (var client = new TokenClient(Authority.Options("vf-post", Authority.PostSecret, "api1")))
            {
                InvalidArgumentException e = Check.Fails<InvalidArgumentException>(
                    () => client.GetToken(TimeSpan.FromHours(2)), VidiFlowStatus.InvalidArgument, "two hours from one-hour tokens");
                Check.Contains("3600", e.Message, "the message gives the authority's lifetime");
                Check.Throws<ArgumentOutOfRangeException>(() => client.GetToken(TimeSpan.FromSeconds(-1)), "a negative validity");
            }
        }

        private static void ExceptionConfig()
        {
            // The key-based options reach the library: a file that holds no key is refused by name.
            string notAKey = Path.GetTempFileName();
            try
            {
                File.WriteAllText(notAKey, "not a key\n");
                var jwt = new TokenClientOptions
                {
                    Authority = Authority.Url,
                    ClientId = "vf-jwt",
                    AuthMethod = ClientAuthMethod.PrivateKeyJwt,
                    PrivateKeyFile = notAKey,
                    SigningAlg = "RS256",
                };
                ConfigurationException k = Check.Fails<ConfigurationException>(() => new TokenClient(jwt), VidiFlowStatus.Config, "a file without a key");
                Check.Contains("option 'private_key_file': the file holds no private key", k.Message, "names the option");
                Check.True(!k.Message.Contains(notAKey), "the path is not quoted");
            }
            finally
            {
                File.Delete(notAKey);
            }

            TokenClientOptions unknown = Authority.Options("vf-post", Authority.PostSecret, "api1");
            unknown.AdditionalOptions["colour"] = "blue";
            ConfigurationException e = Check.Fails<ConfigurationException>(() => new TokenClient(unknown), VidiFlowStatus.Config, "unknown key");
            Check.Contains("unknown option key (6 characters", e.Message, "says the key is unknown");
            Check.True(!e.Message.Contains("colour"), "an unknown key is not repeated: it could be a misplaced secret");
            foreach (string swapped in new[] { "client_secret", "client_secret\0" })
            {
                TokenClientOptions misplaced = Authority.Options("vf-post", Authority.PostSecret, "api1");
                misplaced.AdditionalOptions["hunter2-swapped-secret"] = swapped;
                ConfigurationException m = Check.Fails<ConfigurationException>(() => new TokenClient(misplaced), VidiFlowStatus.Config, "a misplaced secret as key");
                Check.True(!m.Message.Contains("hunter2"), "a key that may be a secret is never quoted");
            }

            Check.Fails<ConfigurationException>(
                () => new TokenClient(new TokenClientOptions { Authority = Authority.Url, ClientSecret = Authority.PostSecret }),
                VidiFlowStatus.Config, "no client id");
            Check.Fails<ConfigurationException>(
                () => new TokenClient(new TokenClientOptions { ClientId = "vf-post", ClientSecret = Authority.PostSecret }),
                VidiFlowStatus.Config, "no authority");
            Check.Fails<ConfigurationException>(
                () => new TokenClient(new TokenClientOptions { Authority = "https://login.example.com", ClientId = "vf-post" }),
                VidiFlowStatus.Config, "no secret");
            Check.Fails<ConfigurationException>(
                () => new TokenClient(new TokenClientOptions { Authority = "http://login.example.com", ClientId = "x", ClientSecret = "y" }),
                VidiFlowStatus.Config, "plain http to a host that is not loopback");
            e = Check.Fails<ConfigurationException>(
                () => new TokenClient(Authority.Options("vf-post", BadLineSecret, "api1")), VidiFlowStatus.Config, "a secret with a line break");
            Check.Contains("client_secret", e.Message, "names the key");
            Check.Fails<ConfigurationException>(
                () => new TokenClient(Authority.Options("vf-post", "nul\0secret", "api1")), VidiFlowStatus.Config, "a secret with NUL");
            Check.Fails<ConfigurationException>(
                () => new TokenClient(Authority.Options("vf-post", "\ud800lone", "api1")), VidiFlowStatus.Config, "a lone surrogate");
        }

        private static void ExceptionDiscovery()
        {
            using (var server = new LoopbackServer(r => CannedResponse.Of(404, "text/plain", "no such thing")))
            using (var client = new TokenClient(new TokenClientOptions { Authority = server.Url + "/core", ClientId = "x", ClientSecret = "y" }))
            {
                DiscoveryException e = Check.Fails<DiscoveryException>(() => client.GetToken(), VidiFlowStatus.Discovery, "discovery answers 404");
                Check.Equal(404, e.HttpStatus, "HttpStatus");
                Check.Equal("/core/.well-known/openid-configuration", server.Requests[0].Path, "the discovery path");
            }
        }

        private static void ExceptionNetwork()
        {
            string url = "http://127.0.0.1:" + LoopbackServer.ClosedPort() + "/token";
            using (var client = new TokenClient(new TokenClientOptions { TokenEndpoint = url, ClientId = "x", ClientSecret = "y" }))
            {
                NetworkException e = Check.Fails<NetworkException>(() => client.GetToken(), VidiFlowStatus.Network, "connection refused");
                Check.Equal(0, e.HttpStatus, "no response, no HttpStatus");
            }
        }

        private static void ExceptionTimeout()
        {
            using (var server = new LoopbackServer(r => null))
            using (var client = new TokenClient(new TokenClientOptions
            {
                TokenEndpoint = server.Url + "/token",
                ClientId = "x",
                ClientSecret = "y",
                Timeout = TimeSpan.FromMilliseconds(500),
            }))
            {
                var clock = Stopwatch.StartNew();
                Check.Fails<AuthTimeoutException>(() => client.GetToken(), VidiFlowStatus.Timeout, "a server that never answers");
                // At the 500 ms timeout, with 1.5 s of slack for a busy machine.
                Check.True(clock.Elapsed >= TimeSpan.FromMilliseconds(500) && clock.Elapsed <= TimeSpan.FromMilliseconds(2000),
                    "gave up at the 500 ms timeout (500..2000 ms): " + clock.Elapsed);
            }
        }

        private static void ExceptionTls()
        {
            TokenClientOptions options = Authority.Options("vf-post", Authority.PostSecret, "api1");
            options.CaFile = Path.Combine(Path.GetTempPath(), "no-such-ca-" + Guid.NewGuid().ToString("N") + ".pem");
            TlsException e = Check.Fails<TlsException>(() => new TokenClient(options), VidiFlowStatus.Tls, "an unreadable CA file");
            Check.Contains("ca_file", e.Message, "names the option");
        }

        private static void ExceptionOAuth()
        {
            using (var client = new TokenClient(Authority.Options("vf-post", WrongSecret, "api1")))
            {
                OAuthException e = Check.Fails<OAuthException>(() => client.GetToken(), VidiFlowStatus.OAuth, "a wrong secret");
                Check.Equal("invalid_client", e.OAuthError, "OAuthError");
                Check.Equal(401, e.HttpStatus, "HttpStatus");
            }
            // invalid_scope is written by tests/authority/server.mjs, as IdentityServer answers;
            // oidc-provider alone would drop the unknown scope.
            using (var client = new TokenClient(Authority.Options("vf-post", Authority.PostSecret, "nope")))
            {
                OAuthException e = Check.Fails<OAuthException>(() => client.GetToken(), VidiFlowStatus.OAuth, "an unknown scope");
                Check.Equal("invalid_scope", e.OAuthError, "OAuthError");
                Check.Equal(400, e.HttpStatus, "HttpStatus");
                Check.True(!string.IsNullOrEmpty(e.OAuthDescription), "the authority's error_description comes through");
            }
            // Async failures keep their type.
            using (var client = new TokenClient(Authority.Options("vf-post", WrongSecret, "api2")))
            {
                Check.Fails<OAuthException>(() => Unwrap(client.GetTokenAsync()), VidiFlowStatus.OAuth, "a wrong secret, async");
            }
        }

        private static void ExceptionHttp()
        {
            using (var server = new LoopbackServer(r => CannedResponse.Of(503, "text/plain", "down for maintenance")))
            using (var client = new TokenClient(new TokenClientOptions { TokenEndpoint = server.Url + "/token", ClientId = "x", ClientSecret = "y" }))
            {
                HttpStatusException e = Check.Fails<HttpStatusException>(() => client.GetToken(), VidiFlowStatus.Http, "HTTP 503");
                Check.Equal(503, e.HttpStatus, "HttpStatus");
                Check.Equal(null, e.OAuthError, "no OAuth error");
            }
            Func<SeenRequest, CannedResponse> tooMany = r =>
            {
                CannedResponse response = CannedResponse.Of(429, "text/plain", "slow down");
                response.Headers["Retry-After"] = "7";
                return response;
            };
            using (var server = new LoopbackServer(tooMany))
            using (var client = new TokenClient(new TokenClientOptions { TokenEndpoint = server.Url + "/token", ClientId = "x", ClientSecret = "y" }))
            {
                // The caller whose request got the 429 sees Http (README: "HTTP, then THROTTLED");
                // the next caller is not sent and sees Throttled with the remaining wait.
                HttpStatusException e = Check.Fails<HttpStatusException>(() => client.GetToken(), VidiFlowStatus.Http, "HTTP 429");
                Check.Equal(429, e.HttpStatus, "HttpStatus");
                Check.Equal(TimeSpan.FromSeconds(7), e.RetryAfter, "RetryAfter");
                ThrottledException next = Check.Fails<ThrottledException>(() => client.GetToken(), VidiFlowStatus.Throttled, "the next caller");
                Check.True(next.RetryAfter > TimeSpan.FromSeconds(6) && next.RetryAfter <= TimeSpan.FromSeconds(7),
                    "the remaining wait: " + next.RetryAfter);
                int sent = server.Requests.Count;
                client.ClearHold();
                Check.Fails<HttpStatusException>(() => client.GetToken(), VidiFlowStatus.Http, "asked again after ClearHold");
                Check.True(server.Requests.Count > sent, "ClearHold lets the next call send a request at once");
                TokenClientStats stats = client.GetStats();
                Check.Equal(0L, stats.SharedHits + stats.RedisHits + stats.RedisMisses + stats.RedisErrors,
                    "no shared level was asked");
            }
        }

        private static void ExceptionProtocol()
        {
            using (var server = new LoopbackServer(r => CannedResponse.Of(200, "application/json", "this is not json")))
            using (var client = new TokenClient(new TokenClientOptions { TokenEndpoint = server.Url + "/token", ClientId = "x", ClientSecret = "y" }))
            {
                Check.Fails<ProtocolException>(() => client.GetToken(), VidiFlowStatus.Protocol, "a body that is not JSON");
            }
            using (var server = new LoopbackServer(r => CannedResponse.Of(200, "application/json", "{\"access_token\":\"abc\",\"token_type\":\"MAC\",\"expires_in\":60}")))
            using (var client = new TokenClient(new TokenClientOptions { TokenEndpoint = server.Url + "/token", ClientId = "x", ClientSecret = "y" }))
            {
                Check.Fails<ProtocolException>(() => client.GetToken(), VidiFlowStatus.Protocol, "a token that is not Bearer");
            }
        }

        private static void ExceptionTable()
        {
            var seen = new HashSet<VidiFlowStatus>();
            foreach (VidiFlowAuthException.Family family in VidiFlowAuthException.Families)
            {
                Check.True(seen.Add(family.Status), "one row per status: " + family.Status);
                Check.True(family.Type.IsSubclassOf(typeof(VidiFlowAuthException)), family.Type.Name + " derives from VidiFlowAuthException");
                var details = new ErrorDetails
                {
                    Status = family.Status,
                    Message = "m",
                    OAuthError = "e",
                    OAuthDescription = "d",
                    OAuthUri = "u",
                    HttpStatus = 418,
                    RetryAfter = TimeSpan.FromSeconds(3),
                };
                VidiFlowAuthException e = VidiFlowAuthException.Create(details);
                Check.Equal(family.Type, e.GetType(), "type for " + family.Status);
                Check.Equal(family.Status, e.Status, "Status");
                Check.Equal("e", e.OAuthError, "OAuthError");
                Check.Equal("d", e.OAuthDescription, "OAuthDescription");
                Check.Equal("u", e.OAuthUri, "OAuthUri");
                Check.Equal(418, e.HttpStatus, "HttpStatus");
                Check.Equal(TimeSpan.FromSeconds(3), e.RetryAfter, "RetryAfter");
                // The public constructor gives the same status.
                var made = (VidiFlowAuthException)Activator.CreateInstance(family.Type, "message");
                Check.Equal(family.Status, made.Status, "public constructor of " + family.Type.Name);
            }
            foreach (VidiFlowStatus status in Enum.GetValues(typeof(VidiFlowStatus)))
            {
                Check.True(status == VidiFlowStatus.Ok || seen.Contains(status), "the table covers " + status);
            }
            Check.Equal(typeof(ThrottledException), VidiFlowAuthException.Create(new ErrorDetails { Status = VidiFlowStatus.Throttled, Message = "m" }).GetType(), "Throttled");
            Check.Equal(typeof(InternalException), VidiFlowAuthException.Create(new ErrorDetails { Status = VidiFlowStatus.Internal, Message = "m" }).GetType(), "Internal");
            VidiFlowAuthException future = VidiFlowAuthException.Create(new ErrorDetails { Status = (VidiFlowStatus)99, Message = "m" });
            Check.Equal(typeof(VidiFlowAuthException), future.GetType(), "a status from a newer library");
            Check.Equal((VidiFlowStatus)99, future.Status, "keeps its number");
        }

        // --- concurrency --------------------------------------------------------------------

        private static void SixteenThreadsOneRequest()
        {
            const int Threads = 16;
            Authority.Reset();
            var values = new string[Threads];
            var errors = new Exception[Threads];
            var start = new Barrier(Threads);
            var threads = new Thread[Threads];
            for (int i = 0; i < Threads; i++)
            {
                int index = i;
                threads[i] = new Thread(() =>
                {
                    try
                    {
                        // Each thread its own client: the cache is per identity, not per client.
                        using (var client = new TokenClient(Authority.Options("vf-post-2", Authority.Post2Secret, "api2")))
                        {
                            start.SignalAndWait();
                            values[index] = client.GetToken().Value;
                        }
                    }
                    catch (Exception e)
                    {
                        errors[index] = e;
                    }
                });
                threads[i].Start();
            }
            foreach (Thread thread in threads)
            {
                Check.True(thread.Join(60000), "every thread finished");
            }
            foreach (Exception error in errors)
            {
                if (error != null)
                {
                    throw new CheckFailed("a thread failed: " + error);
                }
            }
            Check.Equal(1, values.Distinct().Count(), "all 16 threads got the same token");
            Check.Equal(1, Authority.TokenRequests(), "token requests at the authority");
        }

        private static void SixteenAsyncOneRequest()
        {
            Authority.Reset();
            var options = Authority.Options("vf-basic", Authority.BasicSecret, "api1");
            options.AuthMethod = ClientAuthMethod.ClientSecretBasic;
            using (var client = new TokenClient(options))
            {
                Task<AccessToken>[] tasks = Enumerable.Range(0, 16).Select(i => client.GetTokenAsync()).ToArray();
                Check.True(Task.WaitAll(tasks, 60000), "all tasks finished");
                Check.Equal(1, tasks.Select(t => t.Result.Value).Distinct().Count(), "one token for all");
            }
            Check.Equal(1, Authority.TokenRequests(), "token requests at the authority");
        }

        private static void AsyncCancellation()
        {
            using (var server = new LoopbackServer(r => null))
            using (var client = new TokenClient(new TokenClientOptions
            {
                TokenEndpoint = server.Url + "/token",
                ClientId = "x",
                ClientSecret = "y",
                Timeout = TimeSpan.FromSeconds(4),
            }))
            {
                var clock = Stopwatch.StartNew();
                using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
                {
                    Task<AccessToken> task = client.GetTokenAsync(cancel.Token);
                    Check.ThrowsKind<OperationCanceledException>(() => Unwrap(task), "cancelled wait");
                    Check.True(task.IsCanceled, "the task is cancelled");
                }
                Check.True(clock.Elapsed < TimeSpan.FromSeconds(3), "the wait stopped at the cancellation, before the 4 s timeout: " + clock.Elapsed);

                using (var cancelled = new CancellationTokenSource())
                {
                    cancelled.Cancel();
                    Task<AccessToken> task = client.GetTokenAsync(TimeSpan.Zero, cancelled.Token);
                    Check.True(task.IsCanceled, "an already cancelled token gives a cancelled task at once");
                }
            }
        }

        private static void InvalidateDropsCachedToken()
        {
            Authority.Reset();
            using (var client = new TokenClient(Authority.Options("vf-post-2", Authority.Post2Secret, "api1")))
            {
                AccessToken first = client.GetToken();
                client.Invalidate(first);
                AccessToken second = client.GetToken();
                Check.True(first.Value != second.Value, "a new token after Invalidate");
                Check.Equal(2, Authority.TokenRequests(), "token requests");
                client.Invalidate(first);
                Check.Equal(second.Value, client.GetToken().Value, "invalidating an old token keeps the newer one");
                Check.Equal(2, Authority.TokenRequests(), "token requests after the stale Invalidate");
                Check.Throws<ArgumentNullException>(() => client.Invalidate(null), "Invalidate(null)");
                // Tokens not from this client are simply not cached.
                client.Invalidate(new AccessToken("not-a-cached-token", "Bearer", "", DateTimeOffset.UtcNow));
            }
        }

        private static void HitsAreMemoised()
        {
            Authority.Reset();
            using (var client = new TokenClient(Authority.Options("vf-post-2", Authority.Post2Secret, "api1")))
            {
                AccessToken first = client.GetToken();
                // The identity may be cached by an earlier test already: count from here.
                long requests = Authority.TokenRequests();
                AccessToken hit = client.GetToken();
                Check.True(ReferenceEquals(hit, client.GetToken()), "a hit is the memoised copy, no new strings");
                Check.Equal(first.Value, hit.Value, "the same token");
                // Each thread is handed its own native copy: its own memo entry, the same token.
                var others = new AccessToken[8];
                var threads = new Thread[others.Length];
                for (int i = 0; i < threads.Length; i++)
                {
                    int at = i;
                    threads[i] = new Thread(() =>
                    {
                        AccessToken mine = client.GetToken();
                        others[at] = ReferenceEquals(mine, client.GetToken()) ? mine : null;
                    });
                    threads[i].Start();
                }
                foreach (Thread thread in threads)
                {
                    thread.Join();
                }
                foreach (AccessToken other in others)
                {
                    Check.True(other != null && other.Value == first.Value, "memoised on another thread");
                }
                client.Invalidate(hit);
                AccessToken second = client.GetToken();
                Check.True(second.Value != first.Value, "a new token after Invalidate, not the memoised one");
                // The call that fetched it had the shared native token; hits have this thread's copy.
                AccessToken again = client.GetToken();
                Check.Equal(second.Value, again.Value, "the new token again");
                Check.True(ReferenceEquals(again, client.GetToken()), "the new token memoised");
                Check.Equal(requests + 1, Authority.TokenRequests(), "token requests");
            }
        }

        // --- lifetime -----------------------------------------------------------------------

        private static void DisposeTwice()
        {
            var client = new TokenClient(Authority.Options("vf-post", Authority.PostSecret, "api1"));
            AccessToken token = client.GetToken();
            client.Dispose();
            client.Dispose();
            Check.Throws<ObjectDisposedException>(() => client.GetToken(), "GetToken after Dispose");
            Check.Throws<ObjectDisposedException>(() => client.GetTokenAsync(), "GetTokenAsync after Dispose");
            Check.Throws<ObjectDisposedException>(() => client.Invalidate(token), "Invalidate after Dispose");
            Check.True(token.Value.Length > 0 && token.AuthorizationHeader.StartsWith("Bearer ", StringComparison.Ordinal),
                "a token stays readable after its client is disposed");
        }

        private static void DisposeRacesAndFinalizers()
        {
            for (int round = 0; round < 5; round++)
            {
                var client = new TokenClient(Authority.Options("vf-post", Authority.PostSecret, "api1"));
                var stop = new ManualResetEvent(false);
                var unexpected = new List<Exception>();
                int calls = 0;
                Thread[] threads = Enumerable.Range(0, 8).Select(i => new Thread(() =>
                {
                    while (!stop.WaitOne(0))
                    {
                        try
                        {
                            client.GetToken();
                            Interlocked.Increment(ref calls);
                        }
                        catch (ObjectDisposedException)
                        {
                            return;
                        }
                        catch (Exception e)
                        {
                            lock (unexpected)
                            {
                                unexpected.Add(e);
                            }
                            return;
                        }
                    }
                })).ToArray();
                foreach (Thread thread in threads)
                {
                    thread.Start();
                }
                Thread.Sleep(30);
                client.Dispose();
                Thread.Sleep(10);
                stop.Set();
                foreach (Thread thread in threads)
                {
                    Check.True(thread.Join(10000), "every thread stopped");
                }
                Check.True(unexpected.Count == 0, "only ObjectDisposedException after Dispose: " + string.Join("; ", unexpected));
                Check.True(calls > 0, "calls succeeded before Dispose");
            }

            // Never disposed: the finalizer thread frees them, once each.
            string cached;
            using (var client = new TokenClient(Authority.Options("vf-post", Authority.PostSecret, "api1")))
            {
                cached = client.GetToken().Value;
            }
            Authority.Reset();
            MakeGarbage();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            using (var client = new TokenClient(Authority.Options("vf-post", Authority.PostSecret, "api1")))
            {
                Check.Equal(cached, client.GetToken().Value, "the cached token survives finalized clients");
            }
            Check.Equal(0, Authority.TokenRequests(), "no token request from 50 garbage clients");
        }

        private static void MakeGarbage()
        {
            for (int i = 0; i < 50; i++)
            {
                var client = new TokenClient(Authority.Options("vf-post", Authority.PostSecret, "api1"));
                client.GetToken();
                Check.Throws<ConfigurationException>(
                    () => new TokenClient(Authority.Options(null, Authority.PostSecret, "api1")), "garbage error objects");
            }
        }

        private static void OutParamsOnSuccess()
        {
            // The C API writes *err only on failure: the error handle must come back empty.
            using (OptionsHandle options = NativeMethods.vf_options_new())
            {
                ErrorHandle error;
                uint status = NativeMethods.vf_options_set(options, Utf8.Bytes("scope"), Utf8.Bytes("api1"), out error);
                Check.Equal(0u, status, "vf_options_set status");
                Check.True(error.IsInvalid, "no error object on success");
                error.Dispose();
                status = NativeMethods.vf_options_set(options, Utf8.Bytes("nope"), Utf8.Bytes("x"), out error);
                Check.Equal((uint)VidiFlowStatus.Config, status, "unknown key status");
                Check.True(!error.IsInvalid, "an error object on failure");
                Check.Equal((uint)VidiFlowStatus.Config, NativeMethods.vf_error_status(error), "vf_error_status");
                error.Dispose();
                error.Dispose();
            }
        }

        // --- BearerTokenHandler -------------------------------------------------------------

        private static void HandlerRetriesOnce()
        {
            var rejected = new HashSet<string>();
            Func<SeenRequest, CannedResponse> api = request =>
            {
                string authorization = request.Header("Authorization") ?? "";
                lock (rejected)
                {
                    if (!authorization.StartsWith("Bearer ", StringComparison.Ordinal) || rejected.Contains(authorization.Substring(7)))
                    {
                        CannedResponse denied = CannedResponse.Of(401, "text/plain", "stale token");
                        denied.Headers["WWW-Authenticate"] = "Bearer error=\"invalid_token\"";
                        return denied;
                    }
                }
                return CannedResponse.Of(200, "application/json", "{\"received\":\"" + request.Body + "\"}");
            };
            Authority.Reset();
            using (var server = new LoopbackServer(api))
            using (var client = new TokenClient(Authority.Options("vf-post", Authority.PostSecret, "api1 api2")))
            using (var http = new HttpClient(new BearerTokenHandler(client, new HttpClientHandler { UseProxy = false })))
            {
                AccessToken stale = client.GetToken();
                lock (rejected)
                {
                    rejected.Add(stale.Value);
                }
                using (HttpResponseMessage response = http.PostAsync(server.Url + "/jobs", new StringContent("payload-123", Encoding.UTF8, "text/plain")).Result)
                {
                    Check.Equal(HttpStatusCode.OK, response.StatusCode, "the retry succeeds");
                    Check.Contains("payload-123", response.Content.ReadAsStringAsync().Result, "the API got the body");
                }
                List<SeenRequest> seen = server.Requests;
                Check.Equal(2, seen.Count, "requests at the API");
                Check.Equal("Bearer " + stale.Value, seen[0].Header("Authorization"), "the first attempt used the cached token");
                Check.True(seen[1].Header("Authorization") != seen[0].Header("Authorization"), "the retry used a fresh token");
                Check.Equal("payload-123", seen[0].Body, "first body");
                Check.Equal("payload-123", seen[1].Body, "the retry resent the body");
                Check.Equal("POST", seen[1].Method, "the retry is a POST");
                Check.Equal(2, Authority.TokenRequests(), "one fetch before, one after the 401");

                // The fresh token is now cached: the next request goes through at once.
                using (HttpResponseMessage response = http.GetAsync(server.Url + "/jobs/1").Result)
                {
                    Check.Equal(HttpStatusCode.OK, response.StatusCode, "next request");
                }
                Check.Equal(3, server.Requests.Count, "one more request at the API");
                Check.Equal(seen[1].Header("Authorization"), server.Requests[2].Header("Authorization"), "the fresh token is reused");
                Check.Equal(2, Authority.TokenRequests(), "no further token request");
            }
        }

        private static void HandlerGivesUpAfterOneRetry()
        {
            using (var server = new LoopbackServer(r => CannedResponse.Of(401, "text/plain", "never")))
            using (var client = new TokenClient(Authority.Options("vf-post", Authority.PostSecret, "api1 api2")))
            using (var http = new HttpClient(new BearerTokenHandler(client, new HttpClientHandler { UseProxy = false })))
            {
                using (HttpResponseMessage response = http.GetAsync(server.Url + "/jobs").Result)
                {
                    Check.Equal(HttpStatusCode.Unauthorized, response.StatusCode, "the second 401 comes back");
                }
                Check.Equal(2, server.Requests.Count, "exactly one retry");
            }
            using (var client = new TokenClient(Authority.Options("vf-post", WrongSecret, "api1")))
            using (var http = new HttpClient(new BearerTokenHandler(client, new HttpClientHandler { UseProxy = false })))
            {
                Check.Fails<OAuthException>(() => Unwrap(http.GetAsync("http://127.0.0.1:9/never-sent")), VidiFlowStatus.OAuth,
                    "no token: the handler throws the library's exception");
            }
        }

        // --- secrets ------------------------------------------------------------------------

        private static void NoSecretAnywhere()
        {
            List<string> texts = Check.ExceptionTexts;
            Check.True(texts.Count >= 20, "exception texts were collected: " + texts.Count);
            texts.Add(new TokenClientOptions { ClientSecret = Authority.PostSecret }.ToString());
            texts.Add(firstToken.ToString());
            foreach (string text in texts)
            {
                foreach (string secret in Secrets)
                {
                    Check.True(text.IndexOf(secret, StringComparison.Ordinal) < 0, "a secret appears in: " + text.Replace(secret, "<SECRET>"));
                }
            }
        }

        /// <summary>Waits for a task and rethrows its own exception, not an AggregateException.</summary>
        private static void Unwrap<T>(Task<T> task)
        {
            try
            {
                task.Wait();
            }
            catch (AggregateException e)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            }
        }
    }
}
