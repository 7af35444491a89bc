using System;
using System.IO;
using VidiFlow.Auth;

namespace VidiFlow.Auth.DistTests
{
    /// <summary>
    /// A program built against the VidiFlow.Auth NuGet package as `nuget install` unpacked it
    /// (tests/dist/test_dist.sh): gets a token with the VF_* settings and prints which
    /// libvidiflow_auth the process mapped, so the test can tell it came from the package.
    /// </summary>
    internal static class NuGetConsumer
    {
        private static int Main()
        {
            try
            {
                using (TokenClient client = TokenClient.FromEnvironment())
                {
                    AccessToken token = client.GetToken();
                    Console.WriteLine("token type " + token.AuthorizationHeader.Split(' ')[0]);
                }
            }
            catch (VidiFlowAuthException e)
            {
                Console.WriteLine("no token (" + e.Status + "): " + e.Message);
                return 1;
            }
            foreach (string line in File.ReadAllLines("/proc/self/maps"))
            {
                int at = line.IndexOf('/');
                if (at >= 0 && line.Contains("libvidiflow_auth"))
                {
                    Console.WriteLine("mapped " + line.Substring(at));
                    break;
                }
            }
            return 0;
        }
    }
}
