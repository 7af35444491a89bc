using System;
using System.Globalization;

namespace VidiFlow.Auth
{
    /// <summary>
    /// An OAuth 2.0 Bearer access token and when it expires. Immutable: a copy taken from the
    /// library, so it stays readable after the client is disposed or the cached token is
    /// replaced. <see cref="ToString"/> never shows the token itself.
    /// </summary>
    public sealed class AccessToken
    {
        /// <summary>Creates a token, for example as a test double.</summary>
        /// <param name="value">The access token.</param>
        /// <param name="tokenType">The token type, normally "Bearer".</param>
        /// <param name="scope">The granted scopes, space-separated; "" when none.</param>
        /// <param name="expiresAt">When the token expires.</param>
        public AccessToken(string value, string tokenType, string scope, DateTimeOffset expiresAt)
            : this(value, tokenType, scope, expiresAt, null)
        {
        }

        internal AccessToken(string value, string tokenType, string scope, DateTimeOffset expiresAt, string authorizationHeader)
        {
            if (string.IsNullOrEmpty(value))
            {
                throw new ArgumentException("an access token cannot be empty", "value");
            }
            Value = value;
            TokenType = string.IsNullOrEmpty(tokenType) ? "Bearer" : tokenType;
            Scope = scope ?? string.Empty;
            ExpiresAt = expiresAt;
            AuthorizationHeader = authorizationHeader ?? (TokenType + " " + value);
        }

        /// <summary>The access token itself: a secret, keep it out of logs.</summary>
        public string Value { get; private set; }

        /// <summary>The token type: always "Bearer" for tokens from the library.</summary>
        public string TokenType { get; private set; }

        /// <summary>The granted scopes, space-separated (as requested if the authority did not
        /// say); "" when none.</summary>
        public string Scope { get; private set; }

        /// <summary>When the token expires: the time the request was sent plus the authority's
        /// <c>expires_in</c>, to the second.</summary>
        public DateTimeOffset ExpiresAt { get; private set; }

        /// <summary>"Bearer &lt;token&gt;": the value for an HTTP <c>Authorization</c> header.</summary>
        public string AuthorizationHeader { get; private set; }

        /// <summary>The token type, scopes and expiry; never the token.</summary>
        /// <returns>For example <c>Bearer token (scope "api1"), expires 2030-01-01 10:00:00Z</c>.</returns>
        public override string ToString()
        {
            return string.Format(
                CultureInfo.InvariantCulture,
                "{0} token (scope \"{1}\"), expires {2:u}",
                TokenType,
                Scope,
                ExpiresAt.UtcDateTime);
        }

        /// <summary>Copies a native token; the caller still owns and frees <paramref name="token"/>.</summary>
        internal static AccessToken Copy(IntPtr token)
        {
            string value = Utf8.Read(NativeMethods.vf_token_access_token(token));
            string type = Utf8.Read(NativeMethods.vf_token_type(token));
            string scope = Utf8.Read(NativeMethods.vf_token_scope(token));
            string authorization = Utf8.Read(NativeMethods.vf_token_authorization(token));
            long expiresAt = NativeMethods.vf_token_expires_at(token);
            return new AccessToken(value, type, scope, DateTimeOffset.FromUnixTimeSeconds(expiresAt), authorization);
        }
    }
}
