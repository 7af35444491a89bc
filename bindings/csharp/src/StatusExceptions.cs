// Generated from src/error.rs and src/options.rs by `make generate`: do not edit.
namespace VidiFlow.Auth
{
    public partial class VidiFlowAuthException
    {
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
    }

    /// <summary>NULL pointer, bad UTF-8, or a minimum validity no token can meet. (<see cref="VidiFlowStatus.InvalidArgument"/>)</summary>
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

    /// <summary>Unknown key, bad or missing options, unreadable secret file. (<see cref="VidiFlowStatus.Config"/>)</summary>
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

    /// <summary>Discovery document missing, malformed or not for the authority. (<see cref="VidiFlowStatus.Discovery"/>)</summary>
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

    /// <summary>Cannot resolve or connect to the authority. (<see cref="VidiFlowStatus.Network"/>)</summary>
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

    /// <summary>No answer within <c>timeout_ms</c>. (<see cref="VidiFlowStatus.Timeout"/>)</summary>
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

    /// <summary>Untrusted certificate, wrong host name, unreadable <c>ca_file</c>. (<see cref="VidiFlowStatus.Tls"/>)</summary>
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

    /// <summary>Refused with an OAuth error: <c>invalid_client</c>, <c>invalid_scope</c>, … (<see cref="VidiFlowStatus.OAuth"/>)</summary>
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

    /// <summary>Unexpected HTTP status without an OAuth error body. (<see cref="VidiFlowStatus.Http"/>)</summary>
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

    /// <summary>Malformed or oversized answer, not a Bearer token, a redirect. (<see cref="VidiFlowStatus.Protocol"/>)</summary>
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

    /// <summary>Not sent: asked to wait, or backing off after failures. (<see cref="VidiFlowStatus.Throttled"/>)</summary>
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

    /// <summary>A bug in the library (a caught panic); please report it. (<see cref="VidiFlowStatus.Internal"/>)</summary>
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
