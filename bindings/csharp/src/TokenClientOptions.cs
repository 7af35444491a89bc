using System;
using System.Collections.Generic;
using System.Globalization;

namespace VidiFlow.Auth
{
    /// <summary>How the client proves its identity at the token endpoint (RFC 6749 §2.3.1).</summary>
    public enum ClientAuthMethod
    {
        /// <summary><c>client_id</c> and <c>client_secret</c> in the form body
        /// (<c>client_secret_post</c>, the library's default).</summary>
        ClientSecretPost = 0,

        /// <summary>HTTP Basic with the form-urlencoded id and secret
        /// (<c>client_secret_basic</c>).</summary>
        ClientSecretBasic = 1,

        /// <summary>A client assertion (RFC 7523) signed with
        /// <see cref="TokenClientOptions.PrivateKeyFile"/> (<c>private_key_jwt</c>).</summary>
        PrivateKeyJwt = 2,

        /// <summary>Mutual TLS with a certificate from a CA the authority trusts
        /// (<c>tls_client_auth</c>, RFC 8705).</summary>
        TlsClientAuth = 3,

        /// <summary>Mutual TLS with a self-signed certificate registered at the authority
        /// (<c>self_signed_tls_client_auth</c>, RFC 8705).</summary>
        SelfSignedTlsClientAuth = 4,
    }

    /// <summary>How <see cref="ClientAuthMethod.ClientSecretBasic"/> encodes the id and secret
    /// before Base64 (option <c>basic_auth_style</c>).</summary>
    public enum BasicAuthStyle
    {
        /// <summary>Each form-urlencoded first, as RFC 6749 §2.3.1 says (<c>rfc6749</c>, the
        /// library's default).</summary>
        Rfc6749 = 0,

        /// <summary>As they are (<c>rfc2617</c>), for authorities that do not URL-decode Basic
        /// credentials, such as IdentityServer3.</summary>
        Rfc2617 = 1,
    }

    /// <summary>
    /// What a <see cref="TokenClient"/> needs: the authority, the client's identity, and how to
    /// reach it. The common options are properties; every other option key of the library goes in
    /// <see cref="AdditionalOptions"/>. A property left null keeps the library's default.
    /// </summary>
    /// <remarks>
    /// The options are handed to the library when the client is created (properties first, then
    /// <see cref="AdditionalOptions"/>, so the bag wins for a key set both ways) and checked there:
    /// a bad value throws <see cref="ConfigurationException"/> naming the key, never the value.
    /// </remarks>
    public sealed partial class TokenClientOptions
    {
        private readonly Dictionary<string, string> additional = new Dictionary<string, string>(StringComparer.Ordinal);

        /// <summary>How the client authenticates (option <c>auth_method</c>; default
        /// <see cref="ClientAuthMethod.ClientSecretPost"/>).</summary>
        public ClientAuthMethod? AuthMethod { get; set; }

        /// <summary>How Basic authentication encodes the id and secret (option
        /// <c>basic_auth_style</c>; default <see cref="VidiFlow.Auth.BasicAuthStyle.Rfc6749"/>).</summary>
        public BasicAuthStyle? BasicAuthStyle { get; set; }

        /// <summary>
        /// Any other option by its library key (for example <c>default_expires_in</c>), applied
        /// after the properties. An empty value resets the key to its default.
        /// </summary>
        public IDictionary<string, string> AdditionalOptions
        {
            get { return additional; }
        }

        /// <summary>The options as (key, value) pairs in the order they are applied; values
        /// left null are skipped.</summary>
        internal IEnumerable<KeyValuePair<string, string>> ToKeyValues()
        {
            var pairs = new List<KeyValuePair<string, string>>();
            AddProperties(pairs);
            foreach (KeyValuePair<string, string> pair in additional)
            {
                if (pair.Key == null || pair.Value == null)
                {
                    throw new ArgumentException("AdditionalOptions holds a null key or value", "options");
                }
                pairs.Add(pair);
            }
            return pairs;
        }

        private string AuthMethodText()
        {
            if (!AuthMethod.HasValue)
            {
                return null;
            }
            switch (AuthMethod.Value)
            {
                case ClientAuthMethod.ClientSecretPost: return "client_secret_post";
                case ClientAuthMethod.ClientSecretBasic: return "client_secret_basic";
                case ClientAuthMethod.PrivateKeyJwt: return "private_key_jwt";
                case ClientAuthMethod.TlsClientAuth: return "tls_client_auth";
                case ClientAuthMethod.SelfSignedTlsClientAuth: return "self_signed_tls_client_auth";
                default: throw new ArgumentOutOfRangeException("AuthMethod", "not a ClientAuthMethod value");
            }
        }

        private string BasicAuthStyleText()
        {
            if (!BasicAuthStyle.HasValue)
            {
                return null;
            }
            return BasicAuthStyle.Value == VidiFlow.Auth.BasicAuthStyle.Rfc2617 ? "rfc2617" : "rfc6749";
        }

        private static string BoolText(bool? value)
        {
            return value.HasValue ? (value.Value ? "true" : "false") : null;
        }

        private static void Add(List<KeyValuePair<string, string>> pairs, string key, string value)
        {
            if (value != null)
            {
                pairs.Add(new KeyValuePair<string, string>(key, value));
            }
        }

        private static string MillisecondsText(TimeSpan? value, string name)
        {
            if (!value.HasValue)
            {
                return null;
            }
            if (value.Value <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(name, "must be positive");
            }
            double ms = Math.Ceiling(value.Value.TotalMilliseconds);
            return ((long)ms).ToString(CultureInfo.InvariantCulture);
        }

        private static string SecondsText(TimeSpan? value, string name)
        {
            if (!value.HasValue)
            {
                return null;
            }
            if (value.Value < TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(name, "must not be negative");
            }
            double seconds = Math.Ceiling(value.Value.TotalSeconds);
            return ((long)seconds).ToString(CultureInfo.InvariantCulture);
        }
    }
}
