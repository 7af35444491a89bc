using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading;

namespace VidiFlow.Auth.Tests
{
    /// <summary>
    /// The test program of the .NET binding. Run it with the dev authority up
    /// (tests/with-authority.sh sets VF_TEST_AUTHORITY, VF_TEST_STATS and the VF_* client
    /// variables). Prints one line per test, then "N passed, N failed, N skipped"; exits 1 on any
    /// failure.
    /// </summary>
    internal static class Program
    {
        private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(90);

        private static int Main(string[] args)
        {
            if (args.Length == 2 && args[0] == "--child")
            {
                return Child.Serve(args[1]);
            }
            if (string.IsNullOrEmpty(Authority.Url) || string.IsNullOrEmpty(Environment.GetEnvironmentVariable("VF_TEST_STATS")))
            {
                Console.Error.WriteLine("VF_TEST_AUTHORITY and VF_TEST_STATS are not set: run this under tests/with-authority.sh");
                Console.WriteLine("0 passed, 1 failed");
                return 1;
            }

            var tests = new List<KeyValuePair<string, Action>>();
            Tests.Register(tests);
            string only = Environment.GetEnvironmentVariable("VF_TEST_ONLY");

            int passed = 0;
            int failed = 0;
            int skipped = 0;
            foreach (KeyValuePair<string, Action> test in tests)
            {
                if (!string.IsNullOrEmpty(only) && test.Key.IndexOf(only, StringComparison.Ordinal) < 0)
                {
                    continue;
                }
                Exception failure = null;
                var clock = Stopwatch.StartNew();
                var runner = new Thread(() =>
                {
                    try
                    {
                        test.Value();
                    }
                    catch (Exception e)
                    {
                        failure = e;
                    }
                }) { IsBackground = true, Name = test.Key };
                runner.Start();
                if (!runner.Join(TestTimeout))
                {
                    failure = new TimeoutException("did not finish within " + TestTimeout.TotalSeconds + " s");
                }
                clock.Stop();
                if (failure is TestSkipped)
                {
                    skipped++;
                    Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "skip {0}: {1}", test.Key, failure.Message));
                }
                else if (failure == null)
                {
                    passed++;
                    Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "ok   {0} ({1} ms)", test.Key, clock.ElapsedMilliseconds));
                }
                else
                {
                    failed++;
                    Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "FAIL {0} ({1} ms)", test.Key, clock.ElapsedMilliseconds));
                    foreach (string line in failure.ToString().Split('\n'))
                    {
                        Console.WriteLine("     " + line.TrimEnd());
                    }
                }
            }
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0} passed, {1} failed, {2} skipped", passed, failed, skipped));
            Console.Out.Flush();
            return failed == 0 && passed > 0 ? 0 : 1;
        }
    }
}
