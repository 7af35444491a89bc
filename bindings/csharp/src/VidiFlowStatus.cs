namespace VidiFlow.Auth
{
    /// <summary>
    /// The outcome of a library call, with the numbers of <c>enum vf_status</c> in
    /// include/vidiflow_auth.h. Numbers are never reused or renumbered.
    /// </summary>
    public enum VidiFlowStatus : uint
    {
        /// <summary>Success (<c>VF_STATUS_OK</c>).</summary>
        Ok = 0,

        /// <summary>A required argument was missing or invalid, or the request cannot be met (for
        /// example a minimum validity longer than the authority's token lifetime)
        /// (<c>VF_STATUS_INVALID_ARGUMENT</c>).</summary>
        InvalidArgument = 1,

        /// <summary>The options are wrong or incomplete (<c>VF_STATUS_CONFIG</c>).</summary>
        Config = 2,

        /// <summary>The discovery document could not be fetched or names no usable token
        /// endpoint (<c>VF_STATUS_DISCOVERY</c>).</summary>
        Discovery = 3,

        /// <summary>The authority could not be reached (<c>VF_STATUS_NETWORK</c>).</summary>
        Network = 4,

        /// <summary>The authority did not answer in time (<c>VF_STATUS_TIMEOUT</c>).</summary>
        Timeout = 5,

        /// <summary>The TLS handshake failed, or the CA file is unreadable
        /// (<c>VF_STATUS_TLS</c>).</summary>
        Tls = 6,

        /// <summary>The authority refused with an OAuth error such as <c>invalid_client</c>
        /// (<c>VF_STATUS_OAUTH</c>).</summary>
        OAuth = 7,

        /// <summary>The authority answered with an unexpected HTTP status and no OAuth error
        /// (<c>VF_STATUS_HTTP</c>).</summary>
        Http = 8,

        /// <summary>The authority's answer is malformed (<c>VF_STATUS_PROTOCOL</c>).</summary>
        Protocol = 9,

        /// <summary>Not sent: the authority asked callers to wait, or recent failures are backing
        /// off (<c>VF_STATUS_THROTTLED</c>).</summary>
        Throttled = 10,

        /// <summary>A bug inside the library; please report it (<c>VF_STATUS_INTERNAL</c>).</summary>
        Internal = 11,
    }
}
