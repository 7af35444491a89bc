using System;
using System.Text;

namespace VidiFlow.Auth
{
    /// <summary>UTF-8 strings across the C boundary, the same way on every runtime.</summary>
    internal static class Utf8
    {
        private static readonly UTF8Encoding Strict = new UTF8Encoding(false, true);

        /// <summary>
        /// <paramref name="text"/> as NUL-terminated UTF-8 for a <c>const char *</c> parameter
        /// (the library copies it before returning). A NUL inside the text is kept, so the
        /// library sees a shortened string; callers that care reject it first.
        /// </summary>
        internal static byte[] Bytes(string text)
        {
            if (text == null)
            {
                return null;
            }
            int length = Strict.GetByteCount(text);
            var bytes = new byte[length + 1];
            Strict.GetBytes(text, 0, text.Length, bytes, 0);
            return bytes;
        }

        /// <summary>
        /// A copy of the NUL-terminated UTF-8 string at <paramref name="pointer"/>, or null for a
        /// NULL pointer. The native memory stays where it is: the object it belongs to frees it.
        /// </summary>
        /// One scan for the length and one decoding copy, straight from the native memory.
        internal static unsafe string Read(IntPtr pointer)
        {
            if (pointer == IntPtr.Zero)
            {
                return null;
            }
            byte* bytes = (byte*)pointer;
            int length = 0;
            while (bytes[length] != 0)
            {
                length++;
            }
            return length == 0 ? string.Empty : Encoding.UTF8.GetString(bytes, length);
        }

        /// <summary>Overwrites a buffer that held a secret.</summary>
        internal static void Wipe(byte[] bytes)
        {
            if (bytes != null)
            {
                Array.Clear(bytes, 0, bytes.Length);
            }
        }
    }
}
