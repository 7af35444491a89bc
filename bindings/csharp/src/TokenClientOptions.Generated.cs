// Generated from src/error.rs and src/options.rs by `make generate`: do not edit.
using System;
using System.Collections.Generic;

namespace VidiFlow.Auth
{
    public sealed partial class TokenClientOptions
    {
        /// <summary>Every option key of the library, so a key is checked here before it is
        /// handed over.</summary>
        internal static readonly HashSet<string> KnownKeys = new HashSet<string>(StringComparer.Ordinal)
        {
            "authority",
            "token_endpoint",
            "client_id",
            "client_secret",
            "client_secret_file",
            "scope",
            "resource",
            "private_key_file",
            "client_certificate_file",
            "key_id",
            "signing_alg",
            "auth_method",
            "basic_auth_style",
            "timeout_ms",
            "connect_timeout_ms",
            "ca_file",
            "allow_http",
            "validate_endpoints",
            "validate_issuer",
            "default_expires_in",
            "proxy",
            "max_retry_after",
            "cache_dir",
            "redis_url",
            "redis_password_file",
            "redis_prefix",
        };

        /// <summary>Authority URL; the token endpoint is found by OpenID Connect discovery (option <c>authority</c>, url).</summary>
        public string Authority { get; set; }

        /// <summary>Token endpoint URL; when set, discovery is skipped (option <c>token_endpoint</c>, url).</summary>
        public string TokenEndpoint { get; set; }

        /// <summary>Client id (required); taken exactly as given (option <c>client_id</c>, text).</summary>
        public string ClientId { get; set; }

        /// <summary>Client secret (this or client_secret_file is required); taken as given (option <c>client_secret</c>, text).</summary>
        public string ClientSecret { get; set; }

        /// <summary>File holding the client secret; only a trailing line break is dropped (option <c>client_secret_file</c>, path).</summary>
        public string ClientSecretFile { get; set; }

        /// <summary>Space-separated scopes to request, e.g. api1 (option <c>scope</c>, text; default none sent).</summary>
        public string Scope { get; set; }

        /// <summary>Resource indicator (RFC 8707) to request (option <c>resource</c>, text; default none sent).</summary>
        public string Resource { get; set; }

        /// <summary>PEM private key (PKCS#8, PKCS#1, SEC1) for private_key_jwt and tls_client_auth (option <c>private_key_file</c>, path).</summary>
        public string PrivateKeyFile { get; set; }

        /// <summary>PEM certificate of private_key_file: for tls_client_auth, or x5t/x5c in assertions (option <c>client_certificate_file</c>, path).</summary>
        public string ClientCertificateFile { get; set; }

        /// <summary>'kid' in the header of private_key_jwt assertions (option <c>key_id</c>, text; default none sent).</summary>
        public string KeyId { get; set; }

        /// <summary>private_key_jwt signature: RS256 or PS256 (RSA keys), ES256 or ES384 (EC keys) (option <c>signing_alg</c>, text; default RS256, or what the EC key's curve gives).</summary>
        public string SigningAlg { get; set; }

        /// <summary>Longest a token call may take, discovery and retries included (option <c>timeout_ms</c>, milliseconds; default 30000). Whole milliseconds, rounded up.</summary>
        public TimeSpan? Timeout { get; set; }

        /// <summary>Longest a TCP and TLS connect may take (option <c>connect_timeout_ms</c>, milliseconds; default 10000). Whole milliseconds, rounded up.</summary>
        public TimeSpan? ConnectTimeout { get; set; }

        /// <summary>PEM file of extra CA certificates, trusted besides the system's (option <c>ca_file</c>, path).</summary>
        public string CaFile { get; set; }

        /// <summary>Allow plain http to hosts other than loopback (option <c>allow_http</c>, bool; default false).</summary>
        public bool? AllowHttp { get; set; }

        /// <summary>Require the discovered token endpoint on the authority's scheme, host and port (option <c>validate_endpoints</c>, bool; default true).</summary>
        public bool? ValidateEndpoints { get; set; }

        /// <summary>Require the discovery document's issuer to be the authority URL (option <c>validate_issuer</c>, bool; default true).</summary>
        public bool? ValidateIssuer { get; set; }

        /// <summary>Lifetime in seconds assumed when the response has no expires_in (option <c>default_expires_in</c>, seconds; default 300). Whole seconds, rounded up.</summary>
        public TimeSpan? DefaultExpiresIn { get; set; }

        /// <summary>Proxy URL (http://[user:password@]host:port) or 'none'; default: *_proxy by scheme (option <c>proxy</c>, url; default environment).</summary>
        public string Proxy { get; set; }

        /// <summary>Longest wait in seconds a Retry-After can impose (option <c>max_retry_after</c>, seconds; default 300). Whole seconds, rounded up.</summary>
        public TimeSpan? MaxRetryAfter { get; set; }

        /// <summary>Host-level token cache directory shared by this user's processes, or 'none' (option <c>cache_dir</c>, path; default $XDG_RUNTIME_DIR/vidiflow-auth if private, else none).</summary>
        public string CacheDir { get; set; }

        /// <summary>Fleet-level token cache: redis://[user:password@]host:port[/db], or rediss:// for TLS (option <c>redis_url</c>, text; default none).</summary>
        public string RedisUrl { get; set; }

        /// <summary>File holding the Redis password (replaces one in redis_url) (option <c>redis_password_file</c>, path).</summary>
        public string RedisPasswordFile { get; set; }

        /// <summary>Prefix of every Redis key, so environments can share a server (option <c>redis_prefix</c>, text; default vf:).</summary>
        public string RedisPrefix { get; set; }

        /// <summary>The properties' (key, value) pairs in the table's order; null values are
        /// skipped.</summary>
        private void AddProperties(List<KeyValuePair<string, string>> pairs)
        {
            Add(pairs, "authority", Authority);
            Add(pairs, "token_endpoint", TokenEndpoint);
            Add(pairs, "client_id", ClientId);
            Add(pairs, "client_secret", ClientSecret);
            Add(pairs, "client_secret_file", ClientSecretFile);
            Add(pairs, "scope", Scope);
            Add(pairs, "resource", Resource);
            Add(pairs, "private_key_file", PrivateKeyFile);
            Add(pairs, "client_certificate_file", ClientCertificateFile);
            Add(pairs, "key_id", KeyId);
            Add(pairs, "signing_alg", SigningAlg);
            Add(pairs, "auth_method", AuthMethodText());
            Add(pairs, "basic_auth_style", BasicAuthStyleText());
            Add(pairs, "timeout_ms", MillisecondsText(Timeout, "Timeout"));
            Add(pairs, "connect_timeout_ms", MillisecondsText(ConnectTimeout, "ConnectTimeout"));
            Add(pairs, "ca_file", CaFile);
            Add(pairs, "allow_http", BoolText(AllowHttp));
            Add(pairs, "validate_endpoints", BoolText(ValidateEndpoints));
            Add(pairs, "validate_issuer", BoolText(ValidateIssuer));
            Add(pairs, "default_expires_in", SecondsText(DefaultExpiresIn, "DefaultExpiresIn"));
            Add(pairs, "proxy", Proxy);
            Add(pairs, "max_retry_after", SecondsText(MaxRetryAfter, "MaxRetryAfter"));
            Add(pairs, "cache_dir", CacheDir);
            Add(pairs, "redis_url", RedisUrl);
            Add(pairs, "redis_password_file", RedisPasswordFile);
            Add(pairs, "redis_prefix", RedisPrefix);
        }
    }
}
