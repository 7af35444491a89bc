// Generated from src/error.rs and src/options.rs by `make generate`: do not edit.
namespace VidiFlow.Auth
{
    /// <summary>
    /// The outcome of a library call, with the numbers of <c>enum vf_status</c> in
    /// include/vidiflow_auth.h. Numbers are never reused or renumbered.
    /// </summary>
    public enum VidiFlowStatus : uint
    {
        /// <summary>Success. (<c>VF_STATUS_OK</c>)</summary>
        Ok = 0,

        /// <summary>NULL pointer, bad UTF-8, or a minimum validity no token can meet. (<c>VF_STATUS_INVALID_ARGUMENT</c>)</summary>
        InvalidArgument = 1,

        /// <summary>Unknown key, bad or missing options, unreadable secret file. (<c>VF_STATUS_CONFIG</c>)</summary>
        Config = 2,

        /// <summary>Discovery document missing, malformed or not for the authority. (<c>VF_STATUS_DISCOVERY</c>)</summary>
        Discovery = 3,

        /// <summary>Cannot resolve or connect to the authority. (<c>VF_STATUS_NETWORK</c>)</summary>
        Network = 4,

        /// <summary>No answer within <c>timeout_ms</c>. (<c>VF_STATUS_TIMEOUT</c>)</summary>
        Timeout = 5,

        /// <summary>Untrusted certificate, wrong host name, unreadable <c>ca_file</c>. (<c>VF_STATUS_TLS</c>)</summary>
        Tls = 6,

        /// <summary>Refused with an OAuth error: <c>invalid_client</c>, <c>invalid_scope</c>, … (<c>VF_STATUS_OAUTH</c>)</summary>
        OAuth = 7,

        /// <summary>Unexpected HTTP status without an OAuth error body. (<c>VF_STATUS_HTTP</c>)</summary>
        Http = 8,

        /// <summary>Malformed or oversized answer, not a Bearer token, a redirect. (<c>VF_STATUS_PROTOCOL</c>)</summary>
        Protocol = 9,

        /// <summary>Not sent: asked to wait, or backing off after failures. (<c>VF_STATUS_THROTTLED</c>)</summary>
        Throttled = 10,

        /// <summary>A bug in the library (a caught panic); please report it. (<c>VF_STATUS_INTERNAL</c>)</summary>
        Internal = 11,
    }
}
