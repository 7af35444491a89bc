using System;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;

namespace VidiFlow.Auth
{
    /// <summary>
    /// An <see cref="HttpClient"/> handler that sends every request with
    /// <c>Authorization: Bearer &lt;token&gt;</c> from a <see cref="TokenClient"/>. When the API
    /// answers 401 Unauthorized, it tells the cache that the token was rejected
    /// (<see cref="TokenClient.Invalidate"/>), gets a fresh one and sends the request once more.
    /// </summary>
    /// <remarks>
    /// Request content is buffered before the first attempt (<see cref="HttpContent.LoadIntoBufferAsync()"/>)
    /// so the retry can send it again; very large uploads are held in memory. The handler does
    /// not own the <see cref="TokenClient"/>: dispose that separately.
    /// </remarks>
    /// <example>
    /// <code>
    /// var api = new HttpClient(new BearerTokenHandler(tokenClient) { InnerHandler = new HttpClientHandler() });
    /// HttpResponseMessage response = await api.GetAsync("https://api.example.com/jobs");
    /// </code>
    /// </example>
    public class BearerTokenHandler : DelegatingHandler
    {
        private readonly TokenClient client;

        /// <summary>Creates a handler with no inner handler yet: set
        /// <see cref="DelegatingHandler.InnerHandler"/> before use (or add it to an
        /// <c>IHttpClientFactory</c> pipeline, which sets it).</summary>
        /// <param name="client">Where the tokens come from.</param>
        public BearerTokenHandler(TokenClient client)
        {
            if (client == null)
            {
                throw new ArgumentNullException("client");
            }
            this.client = client;
        }

        /// <summary>Creates a handler that sends through <paramref name="innerHandler"/>.</summary>
        /// <param name="client">Where the tokens come from.</param>
        /// <param name="innerHandler">The next handler, e.g. a new <see cref="HttpClientHandler"/>.</param>
        public BearerTokenHandler(TokenClient client, HttpMessageHandler innerHandler)
            : base(innerHandler)
        {
            if (client == null)
            {
                throw new ArgumentNullException("client");
            }
            this.client = client;
        }

        /// <summary>How long each token must stay valid when the request is sent (for example
        /// the expected length of a long upload). Zero by default.</summary>
        public TimeSpan MinValidity { get; set; }

        /// <summary>Sends <paramref name="request"/> with a Bearer token; on 401 invalidates that
        /// token and retries once with a fresh one.</summary>
        /// <param name="request">The request; its Authorization header is replaced.</param>
        /// <param name="cancellationToken">Cancels the token wait and the sends.</param>
        /// <returns>The response to the last attempt.</returns>
        /// <exception cref="VidiFlowAuthException">No token could be had.</exception>
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request == null)
            {
                throw new ArgumentNullException("request");
            }
            if (request.Content != null)
            {
                await request.Content.LoadIntoBufferAsync().ConfigureAwait(false);
            }

            AccessToken token = await client.GetTokenAsync(MinValidity, cancellationToken).ConfigureAwait(false);
            Authorize(request, token);
            HttpResponseMessage response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.Unauthorized)
            {
                return response;
            }

            AccessToken fresh;
            try
            {
                client.Invalidate(token);
                fresh = await client.GetTokenAsync(MinValidity, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                response.Dispose();
            }
            Authorize(request, fresh);
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        private static void Authorize(HttpRequestMessage request, AccessToken token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue(token.TokenType, token.Value);
        }
    }
}
