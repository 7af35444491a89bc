using System;

namespace VidiFlow.Auth
{
    /// <summary>
    /// A failure reported by libvidiflow_auth. Catch this type for every failure, or one of its
    /// subclasses (one per <see cref="VidiFlowStatus"/> family) to branch. The message is meant for
    /// a log or a person and never contains the client secret.
    /// </summary>
    public partial class VidiFlowAuthException : Exception
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
}
