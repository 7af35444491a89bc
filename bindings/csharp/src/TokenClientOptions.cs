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
    public sealed class TokenClientOptions
    {
        private readonly Dictionary<string, string> additional = new Dictionary<string, string>(StringComparer.Ordinal);

        /// <summary>Authority URL; the token endpoint is found by OpenID Connect discovery
        /// (option <c>authority</c>).</summary>
        public string Authority { get; set; }

        /// <summary>Token endpoint URL; when set, discovery is skipped
        /// (option <c>token_endpoint</c>).</summary>
        public string TokenEndpoint { get; set; }

        /// <summary>The client id (option <c>client_id</c>, required).</summary>
        public string ClientId { get; set; }

        /// <summary>The client secret (option <c>client_secret</c>; this or
        /// <see cref="ClientSecretFile"/> is required). Never appears in messages.</summary>
        public string ClientSecret { get; set; }

        /// <summary>A file holding the client secret; trailing line breaks are ignored
        /// (option <c>client_secret_file</c>).</summary>
        public string ClientSecretFile { get; set; }

        /// <summary>Space-separated scopes to request, e.g. "api1" (option <c>scope</c>; none
        /// sent by default).</summary>
        public string Scope { get; set; }

        /// <summary>Resource indicator (RFC 8707) to request (option <c>resource</c>).</summary>
        public string Resource { get; set; }

        /// <summary>How the client authenticates (option <c>auth_method</c>; default
        /// <see cref="ClientAuthMethod.ClientSecretPost"/>).</summary>
        public ClientAuthMethod? AuthMethod { get; set; }

        /// <summary>A PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC) for
        /// <see cref="ClientAuthMethod.PrivateKeyJwt"/> and the TLS methods (option
        /// <c>private_key_file</c>). Never appears in messages.</summary>
        public string PrivateKeyFile { get; set; }

        /// <summary>The PEM certificate of <see cref="PrivateKeyFile"/>: presented in the TLS
        /// handshake, or named in assertions as <c>x5t</c>/<c>x5c</c> (option
        /// <c>client_certificate_file</c>).</summary>
        public string ClientCertificateFile { get; set; }

        /// <summary>The <c>kid</c> of assertions (option <c>key_id</c>).</summary>
        public string KeyId { get; set; }

        /// <summary>RS256 or PS256 for RSA keys, ES256 or ES384 for EC keys (option
        /// <c>signing_alg</c>; by default what the key gives).</summary>
        public string SigningAlg { get; set; }

        /// <summary>How Basic authentication encodes the id and secret (option
        /// <c>basic_auth_style</c>; default <see cref="VidiFlow.Auth.BasicAuthStyle.Rfc6749"/>).</summary>
        public BasicAuthStyle? BasicAuthStyle { get; set; }

        /// <summary>Longest a token call may take, discovery and retries included
        /// (option <c>timeout_ms</c>; default 30 s). Whole milliseconds, rounded up.</summary>
        public TimeSpan? Timeout { get; set; }

        /// <summary>Longest a TCP and TLS connect may take (option <c>connect_timeout_ms</c>;
        /// default 10 s).</summary>
        public TimeSpan? ConnectTimeout { get; set; }

        /// <summary>A PEM file of extra CA certificates, trusted besides the system's
        /// (option <c>ca_file</c>).</summary>
        public string CaFile { get; set; }

        /// <summary>Allow plain http to hosts other than loopback (option <c>allow_http</c>;
        /// default false).</summary>
        public bool? AllowHttp { get; set; }

        /// <summary>Require the discovered token endpoint on the authority's scheme, host and port
        /// (option <c>validate_endpoints</c>; default true).</summary>
        public bool? ValidateEndpoints { get; set; }

        /// <summary>Require the discovery document's issuer to be the authority URL (option
        /// <c>validate_issuer</c>; default true). False for IdentityServer3 reached by another
        /// host name than its configured issuer (Service Fabric's reverse proxy).</summary>
        public bool? ValidateIssuer { get; set; }

        /// <summary>Proxy URL (credentials allowed, never shown), or "none"; by default http_proxy
        /// or https_proxy by the URL's scheme, then all_proxy, and no_proxy, never for loopback
        /// hosts (option <c>proxy</c>).</summary>
        public string Proxy { get; set; }

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
            Add(pairs, "authority", Authority);
            Add(pairs, "token_endpoint", TokenEndpoint);
            Add(pairs, "client_id", ClientId);
            Add(pairs, "client_secret", ClientSecret);
            Add(pairs, "client_secret_file", ClientSecretFile);
            Add(pairs, "scope", Scope);
            Add(pairs, "resource", Resource);
            if (AuthMethod.HasValue)
            {
                Add(pairs, "auth_method", AuthMethodName(AuthMethod.Value));
            }
            Add(pairs, "private_key_file", PrivateKeyFile);
            Add(pairs, "client_certificate_file", ClientCertificateFile);
            Add(pairs, "key_id", KeyId);
            Add(pairs, "signing_alg", SigningAlg);
            if (BasicAuthStyle.HasValue)
            {
                Add(pairs, "basic_auth_style", BasicAuthStyle.Value == VidiFlow.Auth.BasicAuthStyle.Rfc2617 ? "rfc2617" : "rfc6749");
            }
            if (Timeout.HasValue)
            {
                Add(pairs, "timeout_ms", Milliseconds(Timeout.Value, "Timeout"));
            }
            if (ConnectTimeout.HasValue)
            {
                Add(pairs, "connect_timeout_ms", Milliseconds(ConnectTimeout.Value, "ConnectTimeout"));
            }
            Add(pairs, "ca_file", CaFile);
            if (AllowHttp.HasValue)
            {
                Add(pairs, "allow_http", AllowHttp.Value ? "true" : "false");
            }
            if (ValidateEndpoints.HasValue)
            {
                Add(pairs, "validate_endpoints", ValidateEndpoints.Value ? "true" : "false");
            }
            if (ValidateIssuer.HasValue)
            {
                Add(pairs, "validate_issuer", ValidateIssuer.Value ? "true" : "false");
            }
            Add(pairs, "proxy", Proxy);
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

        private static string AuthMethodName(ClientAuthMethod method)
        {
            switch (method)
            {
                case ClientAuthMethod.ClientSecretPost: return "client_secret_post";
                case ClientAuthMethod.ClientSecretBasic: return "client_secret_basic";
                case ClientAuthMethod.PrivateKeyJwt: return "private_key_jwt";
                case ClientAuthMethod.TlsClientAuth: return "tls_client_auth";
                case ClientAuthMethod.SelfSignedTlsClientAuth: return "self_signed_tls_client_auth";
                default: throw new ArgumentOutOfRangeException("AuthMethod", "not a ClientAuthMethod value");
            }
        }

        private static void Add(List<KeyValuePair<string, string>> pairs, string key, string value)
        {
            if (value != null)
            {
                pairs.Add(new KeyValuePair<string, string>(key, value));
            }
        }

        private static string Milliseconds(TimeSpan value, string name)
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(name, "must be positive");
            }
            double ms = Math.Ceiling(value.TotalMilliseconds);
            return ((long)ms).ToString(CultureInfo.InvariantCulture);
        }
    }
}
