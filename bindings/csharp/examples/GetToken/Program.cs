using System;
using System.Threading.Tasks;
using VidiFlow.Auth;

namespace VidiFlow.Auth.Examples
{
    /// <summary>
    /// Gets a token with the settings in VF_AUTHORITY, VF_CLIENT_ID, VF_CLIENT_SECRET and VF_SCOPE
    /// and prints what an API call would send. `make demo-csharp` runs it against the dev authority.
    /// </summary>
    internal static class Program
    {
        private static async Task<int> Run()
        {
            try
            {
                using (TokenClient client = TokenClient.FromEnvironment())
                {
                    AccessToken token = await client.GetTokenAsync().ConfigureAwait(false);
                    string header = token.AuthorizationHeader;
                    Console.WriteLine("libvidiflow_auth " + TokenClient.LibraryVersion);
                    Console.WriteLine("Authorization: " + header.Substring(0, Math.Min(header.Length, 20)) + "... (" + header.Length + " characters)");
                    Console.WriteLine("scope:         " + token.Scope);
                    Console.WriteLine("expires at:    " + token.ExpiresAt.ToString("u") + " (in " + (int)(token.ExpiresAt - DateTimeOffset.UtcNow).TotalSeconds + " s)");
                    AccessToken again = client.GetToken();
                    Console.WriteLine("second call:   " + (again.Value == token.Value ? "same token, from the cache" : "a new token"));
                }
                return 0;
            }
            catch (VidiFlowAuthException e)
            {
                Console.Error.WriteLine("no token (" + e.Status + "): " + e.Message);
                return 1;
            }
        }

        private static int Main()
        {
            return Run().GetAwaiter().GetResult();
        }
    }
}
