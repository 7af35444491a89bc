using System;

namespace VidiFlow.Auth
{
    /// <summary>
    /// A failure reported by libvidiflow_auth. Catch this type for every failure, or one of its
    /// subclasses (one per <see cref="VidiFlowStatus"/> family) to branch. The message is meant for
    /// a log or a person and never contains the client secret.
    /// </summary>
    public class VidiFlowAuthException : Exception
    {
        /// <summary>Creates an exception for <paramref name="status"/>.</summary>
        /// <param name="status">The failure family.</param>
        /// <param name="message">What failed and why.</param>
        public VidiFlowAuthException(VidiFlowStatus status, string message)
            : this(status, message, null)
        {
        }

        /// <summary>Creates an exception for <paramref name="status"/> caused by another one.</summary>
        /// <param name="status">The failure family.</param>
        /// <param name="message">What failed and why.</param>
        /// <param name="innerException">The cause, or null.</param>
        public VidiFlowAuthException(VidiFlowStatus status, string message, Exception innerException)
            : base(message, innerException)
        {
            Status = status;
        }

        internal VidiFlowAuthException(ErrorDetails details)
            : base(details.Message)
        {
            Status = details.Status;
            OAuthError = details.OAuthError;
            OAuthDescription = details.OAuthDescription;
            OAuthUri = details.OAuthUri;
            HttpStatus = details.HttpStatus;
            RetryAfter = details.RetryAfter;
        }

        /// <summary>The failure family, as the C API numbers it.</summary>
        public VidiFlowStatus Status { get; private set; }

        /// <summary>The OAuth <c>error</c> code the authority returned (<c>invalid_client</c>,
        /// <c>invalid_scope</c>, ...), or null.</summary>
        public string OAuthError { get; private set; }

        /// <summary>The OAuth <c>error_description</c>, or null.</summary>
        public string OAuthDescription { get; private set; }

        /// <summary>The OAuth <c>error_uri</c>, or null.</summary>
        public string OAuthUri { get; private set; }

        /// <summary>The HTTP status of the response that failed, or 0 when no response came.</summary>
        public int HttpStatus { get; private set; }

        /// <summary>How long the authority asked callers to wait (Retry-After), or
        /// <see cref="TimeSpan.Zero"/>.</summary>
        public TimeSpan RetryAfter { get; private set; }

        /// <summary>
        /// The one table from status to exception type: every failure of the library becomes the
        /// type listed for its status; a status this binding does not know becomes a plain
        /// <see cref="VidiFlowAuthException"/>.
        /// </summary>
        internal static readonly Family[] Families =
        {
            new Family(VidiFlowStatus.InvalidArgument, typeof(InvalidArgumentException), d => new InvalidArgumentException(d)),
            new Family(VidiFlowStatus.Config, typeof(ConfigurationException), d => new ConfigurationException(d)),
            new Family(VidiFlowStatus.Discovery, typeof(DiscoveryException), d => new DiscoveryException(d)),
            new Family(VidiFlowStatus.Network, typeof(NetworkException), d => new NetworkException(d)),
            new Family(VidiFlowStatus.Timeout, typeof(AuthTimeoutException), d => new AuthTimeoutException(d)),
            new Family(VidiFlowStatus.Tls, typeof(TlsException), d => new TlsException(d)),
            new Family(VidiFlowStatus.OAuth, typeof(OAuthException), d => new OAuthException(d)),
            new Family(VidiFlowStatus.Http, typeof(HttpStatusException), d => new HttpStatusException(d)),
            new Family(VidiFlowStatus.Protocol, typeof(ProtocolException), d => new ProtocolException(d)),
            new Family(VidiFlowStatus.Throttled, typeof(ThrottledException), d => new ThrottledException(d)),
            new Family(VidiFlowStatus.Internal, typeof(InternalException), d => new InternalException(d)),
        };

        /// <summary>The exception for a failure, from <see cref="Families"/>.</summary>
        internal static VidiFlowAuthException Create(ErrorDetails details)
        {
            foreach (Family family in Families)
            {
                if (family.Status == details.Status)
                {
                    return family.Create(details);
                }
            }
            return new VidiFlowAuthException(details);
        }

        /// <summary>The exception for a failed call that returned <paramref name="status"/> and
        /// the error object <paramref name="error"/> (which this frees).</summary>
        internal static VidiFlowAuthException FromNative(uint status, ErrorHandle error)
        {
            using (error)
            {
                return Create(ErrorDetails.Read(status, error));
            }
        }

        /// <summary>One row of <see cref="Families"/>.</summary>
        internal sealed class Family
        {
            internal Family(VidiFlowStatus status, Type type, Func<ErrorDetails, VidiFlowAuthException> create)
            {
                Status = status;
                Type = type;
                Create = create;
            }

            internal VidiFlowStatus Status { get; private set; }

            internal Type Type { get; private set; }

            internal Func<ErrorDetails, VidiFlowAuthException> Create { get; private set; }
        }
    }

    /// <summary>What a <c>vf_error</c> says, copied out of the native object.</summary>
    internal sealed class ErrorDetails
    {
        internal VidiFlowStatus Status;
        internal string Message;
        internal string OAuthError;
        internal string OAuthDescription;
        internal string OAuthUri;
        internal int HttpStatus;
        internal TimeSpan RetryAfter;

        internal static ErrorDetails Read(uint status, ErrorHandle error)
        {
            var details = new ErrorDetails { Status = (VidiFlowStatus)status };
            if (error != null && !error.IsInvalid && !error.IsClosed)
            {
                details.Message = Utf8.Read(NativeMethods.vf_error_message(error));
                details.OAuthError = Utf8.Read(NativeMethods.vf_error_oauth_error(error));
                details.OAuthDescription = Utf8.Read(NativeMethods.vf_error_oauth_description(error));
                details.OAuthUri = Utf8.Read(NativeMethods.vf_error_oauth_uri(error));
                details.HttpStatus = NativeMethods.vf_error_http_status(error);
                ulong retryAfterMs = NativeMethods.vf_error_retry_after_ms(error);
                details.RetryAfter = TimeSpan.FromMilliseconds(Math.Min(retryAfterMs, (ulong)int.MaxValue));
            }
            if (string.IsNullOrEmpty(details.Message))
            {
                details.Message = Utf8.Read(NativeMethods.vf_status_name(status)) + " (the library gave no details)";
            }
            return details;
        }
    }

    /// <summary>An argument was missing or invalid, or the request cannot be met, such as a
    /// minimum validity longer than the authority's tokens live
    /// (<see cref="VidiFlowStatus.InvalidArgument"/>).</summary>
    public class InvalidArgumentException : VidiFlowAuthException
    {
        /// <summary>Creates the exception with a message.</summary>
        /// <param name="message">What failed and why.</param>
        public InvalidArgumentException(string message) : base(VidiFlowStatus.InvalidArgument, message)
        {
        }

        internal InvalidArgumentException(ErrorDetails details) : base(details)
        {
        }
    }

    /// <summary>The options are wrong or incomplete: an unknown key, a bad value, a missing client
    /// id or secret, an unreadable secret file, plain http to a host that is not loopback
    /// (<see cref="VidiFlowStatus.Config"/>).</summary>
    public class ConfigurationException : VidiFlowAuthException
    {
        /// <summary>Creates the exception with a message.</summary>
        /// <param name="message">What failed and why.</param>
        public ConfigurationException(string message) : base(VidiFlowStatus.Config, message)
        {
        }

        internal ConfigurationException(ErrorDetails details) : base(details)
        {
        }
    }

    /// <summary>The authority's discovery document could not be fetched or names no usable token
    /// endpoint (<see cref="VidiFlowStatus.Discovery"/>).</summary>
    public class DiscoveryException : VidiFlowAuthException
    {
        /// <summary>Creates the exception with a message.</summary>
        /// <param name="message">What failed and why.</param>
        public DiscoveryException(string message) : base(VidiFlowStatus.Discovery, message)
        {
        }

        internal DiscoveryException(ErrorDetails details) : base(details)
        {
        }
    }

    /// <summary>The authority could not be reached: name resolution, connection refused or reset
    /// (<see cref="VidiFlowStatus.Network"/>).</summary>
    public class NetworkException : VidiFlowAuthException
    {
        /// <summary>Creates the exception with a message.</summary>
        /// <param name="message">What failed and why.</param>
        public NetworkException(string message) : base(VidiFlowStatus.Network, message)
        {
        }

        internal NetworkException(ErrorDetails details) : base(details)
        {
        }
    }

    /// <summary>The authority did not answer within the configured timeout
    /// (<see cref="VidiFlowStatus.Timeout"/>).</summary>
    public class AuthTimeoutException : VidiFlowAuthException
    {
        /// <summary>Creates the exception with a message.</summary>
        /// <param name="message">What failed and why.</param>
        public AuthTimeoutException(string message) : base(VidiFlowStatus.Timeout, message)
        {
        }

        internal AuthTimeoutException(ErrorDetails details) : base(details)
        {
        }
    }

    /// <summary>The TLS handshake failed (untrusted certificate, wrong host name) or the CA file
    /// cannot be read (<see cref="VidiFlowStatus.Tls"/>).</summary>
    public class TlsException : VidiFlowAuthException
    {
        /// <summary>Creates the exception with a message.</summary>
        /// <param name="message">What failed and why.</param>
        public TlsException(string message) : base(VidiFlowStatus.Tls, message)
        {
        }

        internal TlsException(ErrorDetails details) : base(details)
        {
        }
    }

    /// <summary>The authority refused the request with an OAuth error; see
    /// <see cref="VidiFlowAuthException.OAuthError"/> (<see cref="VidiFlowStatus.OAuth"/>).</summary>
    public class OAuthException : VidiFlowAuthException
    {
        /// <summary>Creates the exception with a message.</summary>
        /// <param name="message">What failed and why.</param>
        public OAuthException(string message) : base(VidiFlowStatus.OAuth, message)
        {
        }

        internal OAuthException(ErrorDetails details) : base(details)
        {
        }
    }

    /// <summary>The authority answered with an unexpected HTTP status and no OAuth error; see
    /// <see cref="VidiFlowAuthException.HttpStatus"/> (<see cref="VidiFlowStatus.Http"/>).</summary>
    public class HttpStatusException : VidiFlowAuthException
    {
        /// <summary>Creates the exception with a message.</summary>
        /// <param name="message">What failed and why.</param>
        public HttpStatusException(string message) : base(VidiFlowStatus.Http, message)
        {
        }

        internal HttpStatusException(ErrorDetails details) : base(details)
        {
        }
    }

    /// <summary>The authority's answer is malformed: not JSON, too large, no access token, not a
    /// Bearer token, a redirect (<see cref="VidiFlowStatus.Protocol"/>).</summary>
    public class ProtocolException : VidiFlowAuthException
    {
        /// <summary>Creates the exception with a message.</summary>
        /// <param name="message">What failed and why.</param>
        public ProtocolException(string message) : base(VidiFlowStatus.Protocol, message)
        {
        }

        internal ProtocolException(ErrorDetails details) : base(details)
        {
        }
    }

    /// <summary>Not sent: the authority asked callers to wait, or recent failures are backing off;
    /// see <see cref="VidiFlowAuthException.RetryAfter"/> (<see cref="VidiFlowStatus.Throttled"/>).</summary>
    public class ThrottledException : VidiFlowAuthException
    {
        /// <summary>Creates the exception with a message.</summary>
        /// <param name="message">What failed and why.</param>
        public ThrottledException(string message) : base(VidiFlowStatus.Throttled, message)
        {
        }

        internal ThrottledException(ErrorDetails details) : base(details)
        {
        }
    }

    /// <summary>A bug inside the library (a caught panic); please report it
    /// (<see cref="VidiFlowStatus.Internal"/>).</summary>
    public class InternalException : VidiFlowAuthException
    {
        /// <summary>Creates the exception with a message.</summary>
        /// <param name="message">What failed and why.</param>
        public InternalException(string message) : base(VidiFlowStatus.Internal, message)
        {
        }

        internal InternalException(ErrorDetails details) : base(details)
        {
        }
    }
}
