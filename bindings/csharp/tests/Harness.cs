using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Net.Http;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;

namespace VidiFlow.Auth.Tests
{
    /// <summary>The failure of one check.</summary>
    internal sealed class CheckFailed : Exception
    {
        public CheckFailed(string message) : base(message)
        {
        }
    }

    /// <summary>Thrown by a test that could not check what it is for on this machine: the run
    /// reports it as skipped, never as passed.</summary>
    internal sealed class TestSkipped : Exception
    {
        public TestSkipped(string reason) : base(reason)
        {
        }
    }

    /// <summary>Assertions, and a record of every exception text the library produced.</summary>
    internal static class Check
    {
        private static readonly List<string> exceptionTexts = new List<string>();

        public static List<string> ExceptionTexts
        {
            get
            {
                lock (exceptionTexts)
                {
                    return new List<string>(exceptionTexts);
                }
            }
        }

        public static void Record(Exception e)
        {
            lock (exceptionTexts)
            {
                exceptionTexts.Add(e.ToString());
                exceptionTexts.Add(e.Message);
            }
        }

        public static void Record(string text)
        {
            lock (exceptionTexts)
            {
                exceptionTexts.Add(text);
            }
        }

        public static void True(bool condition, string what)
        {
            if (!condition)
            {
                throw new CheckFailed(what);
            }
        }

        public static void Equal<T>(T expected, T actual, string what)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
            {
                throw new CheckFailed(string.Format(CultureInfo.InvariantCulture, "{0}: expected <{1}>, got <{2}>", what, expected, actual));
            }
        }

        public static void Contains(string needle, string haystack, string what)
        {
            if (haystack == null || haystack.IndexOf(needle, StringComparison.Ordinal) < 0)
            {
                throw new CheckFailed(string.Format(CultureInfo.InvariantCulture, "{0}: <{1}> not in <{2}>", what, needle, haystack));
            }
        }

        /// <summary>Runs <paramref name="action"/>, which must throw exactly <typeparamref name="T"/>.</summary>
        public static T Throws<T>(Action action, string what) where T : Exception
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                Record(e);
                if (e.GetType() == typeof(T))
                {
                    return (T)e;
                }
                throw new CheckFailed(string.Format(CultureInfo.InvariantCulture, "{0}: expected {1}, got {2}", what, typeof(T).Name, e));
            }
            throw new CheckFailed(string.Format(CultureInfo.InvariantCulture, "{0}: expected {1}, nothing was thrown", what, typeof(T).Name));
        }

        /// <summary>Like <see cref="Throws{T}"/>, also accepting subclasses of <typeparamref name="T"/>.</summary>
        public static T ThrowsKind<T>(Action action, string what) where T : Exception
        {
            try
            {
                action();
            }
            catch (T e)
            {
                Record(e);
                return e;
            }
            catch (Exception e)
            {
                Record(e);
                throw new CheckFailed(string.Format(CultureInfo.InvariantCulture, "{0}: expected {1}, got {2}", what, typeof(T).Name, e));
            }
            throw new CheckFailed(string.Format(CultureInfo.InvariantCulture, "{0}: expected {1}, nothing was thrown", what, typeof(T).Name));
        }

        /// <summary>Like <see cref="Throws{T}"/> for the library's exceptions, also checking the status.</summary>
        public static T Fails<T>(Action action, VidiFlowStatus status, string what) where T : VidiFlowAuthException
        {
            T e = Throws<T>(action, what);
            Equal(status, e.Status, what + ": Status");
            True(!string.IsNullOrEmpty(e.Message), what + ": has a message");
            return e;
        }
    }

    /// <summary>The dev authority started by tests/with-authority.sh, and its request counter.</summary>
    internal static class Authority
    {
        public const string PostSecret = "post-secret-0123456789";
        public const string BasicSecret = "a+b/c=d%e&f:g";
        public const string Post2Secret = "second-secret-abcdef";

        private static readonly HttpClient Http = new HttpClient(new HttpClientHandler { UseProxy = false });

        public static string Url
        {
            get { return Environment.GetEnvironmentVariable("VF_TEST_AUTHORITY"); }
        }

        private static string StatsUrl
        {
            get { return Environment.GetEnvironmentVariable("VF_TEST_STATS"); }
        }

        public static TokenClientOptions Options(string clientId, string secret, string scope)
        {
            return new TokenClientOptions { Authority = Url, ClientId = clientId, ClientSecret = secret, Scope = scope };
        }

        public static string Stats()
        {
            return Http.GetStringAsync(StatsUrl).Result;
        }

        public static int TokenRequests()
        {
            Match match = Regex.Match(Stats(), "\"token_requests\"\\s*:\\s*(\\d+)");
            Check.True(match.Success, "the stats answer has token_requests");
            return int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        }

        public static void Reset()
        {
            string resetUrl = StatsUrl.Substring(0, StatsUrl.LastIndexOf('/')) + "/reset";
            using (HttpResponseMessage response = Http.PostAsync(resetUrl, new StringContent("")).Result)
            {
                Check.True(response.IsSuccessStatusCode, "the authority resets its counters");
            }
        }
    }

    /// <summary>Runs this test program again in a child process, with its own environment.</summary>
    internal static class Child
    {
        public sealed class Result
        {
            public int ExitCode;
            public string Output;
        }

        /// <summary>Runs <c>--child mode</c> from <paramref name="program"/> (default: this one).</summary>
        public static Result Run(string mode, IDictionary<string, string> environment, string program = null)
        {
            program = program ?? Assembly.GetEntryAssembly().Location;
            string host = Process.GetCurrentProcess().MainModule.FileName;
            string hostName = Path.GetFileNameWithoutExtension(host);
            var start = new ProcessStartInfo();
            if (Type.GetType("Mono.Runtime") != null || hostName == "dotnet")
            {
                start.FileName = host;
                start.Arguments = Quote(program) + " --child " + mode;
            }
            else
            {
                // An apphost: the program file sits next to it with the host's name.
                start.FileName = Path.Combine(Path.GetDirectoryName(program), Path.GetFileName(host));
                start.Arguments = "--child " + mode;
            }
            start.UseShellExecute = false;
            start.RedirectStandardOutput = true;
            start.RedirectStandardError = true;
            start.RedirectStandardInput = true;
            foreach (KeyValuePair<string, string> pair in environment)
            {
                if (pair.Value == null)
                {
                    start.EnvironmentVariables.Remove(pair.Key);
                }
                else
                {
                    start.EnvironmentVariables[pair.Key] = pair.Value;
                }
            }
            using (Process process = Process.Start(start))
            {
                process.StandardInput.Close();
                var stderr = new StringBuilder();
                process.ErrorDataReceived += (sender, e) =>
                {
                    if (e.Data != null)
                    {
                        lock (stderr)
                        {
                            stderr.AppendLine(e.Data);
                        }
                    }
                };
                process.BeginErrorReadLine();
                string stdout = process.StandardOutput.ReadToEnd();
                if (!process.WaitForExit(60000))
                {
                    process.Kill();
                    throw new CheckFailed("child process '" + mode + "' did not finish in 60 s");
                }
                process.WaitForExit();
                string output;
                lock (stderr)
                {
                    output = stdout + stderr;
                }
                Check.Record(output);
                return new Result { ExitCode = process.ExitCode, Output = output };
            }
        }

        private static string Quote(string path)
        {
            return "\"" + path + "\"";
        }

        /// <summary>The child side: prints one line and returns the exit code.</summary>
        public static int Serve(string mode)
        {
            try
            {
                switch (mode)
                {
                    case "where":
                        string version = TokenClient.LibraryVersion;
                        Console.WriteLine("loaded " + NativeLibraryLoader.LoadedFrom + " version " + version);
                        return 0;
                    case "env":
                        using (TokenClient client = TokenClient.FromEnvironment())
                        {
                            Console.WriteLine("token scope " + client.GetToken().Scope);
                        }
                        return 0;
                    case "stats":
                        using (TokenClient client = TokenClient.FromEnvironment())
                        {
                            client.GetToken();
                            TokenClientStats s = client.GetStats();
                            Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
                                "requests {0} shared {1} redis {2}/{3}/{4}",
                                s.Requests, s.SharedHits, s.RedisHits, s.RedisMisses, s.RedisErrors));
                        }
                        return 0;
                    default:
                        Console.WriteLine("unknown child mode " + mode);
                        return 2;
                }
            }
            catch (Exception e)
            {
                Console.WriteLine(e.GetType().Name + ": " + e.Message);
                return 1;
            }
        }
    }
}
