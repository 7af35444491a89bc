using System;
using System.Runtime.InteropServices;

namespace VidiFlow.Auth
{
    /// <summary>
    /// A pointer to one native object, freed exactly once: by <c>Dispose</c>, or by the finalizer
    /// thread if nobody disposed it (the C API allows frees from any thread). While a P/Invoke
    /// uses the handle, the runtime holds a reference on it, so a concurrent <c>Dispose</c> waits
    /// for the call to return before the object is freed.
    /// </summary>
    internal abstract class VfSafeHandle : SafeHandle
    {
        protected VfSafeHandle() : base(IntPtr.Zero, true)
        {
        }

        public override bool IsInvalid
        {
            get { return handle == IntPtr.Zero; }
        }
    }

    /// <summary>A <c>vf_client *</c>, freed with vf_client_free().</summary>
    internal sealed class ClientHandle : VfSafeHandle
    {
        protected override bool ReleaseHandle()
        {
            NativeMethods.vf_client_free(handle);
            return true;
        }
    }

    /// <summary>A <c>vf_options *</c>, freed with vf_options_free().</summary>
    internal sealed class OptionsHandle : VfSafeHandle
    {
        protected override bool ReleaseHandle()
        {
            NativeMethods.vf_options_free(handle);
            return true;
        }
    }

    /// <summary>A <c>vf_error *</c>, freed with vf_error_free().</summary>
    internal sealed class ErrorHandle : VfSafeHandle
    {
        /// <summary>For the marshaller.</summary>
        public ErrorHandle()
        {
        }

        /// <summary>Takes ownership of <paramref name="error"/> (may be NULL).</summary>
        internal ErrorHandle(IntPtr error)
        {
            SetHandle(error);
        }

        protected override bool ReleaseHandle()
        {
            NativeMethods.vf_error_free(handle);
            return true;
        }
    }
}
