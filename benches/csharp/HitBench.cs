// Cache hit through the .NET binding: TokenClient.GetToken() on a warm cache, one thread.
//
//   mono HitBench.exe [CALLS] [RUNS]
//
// Reads the client from VF_* variables (tests/with-authority.sh sets them). Prints one JSON line:
// ns per GetToken() for each run.
using System;
using System.Diagnostics;
using System.Globalization;
using VidiFlow.Auth;

internal static class HitBench
{
    private static int Main(string[] args)
    {
        int calls = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000000;
        int runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 7;
        using (TokenClient client = TokenClient.FromEnvironment())
        {
            for (int i = 0; i < 100000; i++)
            {
                client.GetToken();
            }
            var results = new string[runs];
            for (int r = 0; r < runs; r++)
            {
                var watch = Stopwatch.StartNew();
                for (int i = 0; i < calls; i++)
                {
                    client.GetToken();
                }
                double ns = watch.Elapsed.TotalMilliseconds * 1e6 / calls;
                results[r] = ns.ToString("F1", CultureInfo.InvariantCulture);
            }
            Console.WriteLine("{\"calls\":" + calls + ",\"ns_per_call\":[" + string.Join(",", results) + "]}");
        }
        return 0;
    }
}
