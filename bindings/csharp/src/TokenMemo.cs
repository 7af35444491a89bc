using System;
using System.Threading;

namespace VidiFlow.Auth
{
    /// <summary>
    /// The managed copies of the native tokens a client handed out lately, by native pointer, so a
    /// cache hit costs two P/Invokes (get, free) and no string copies. Each entry keeps its native
    /// token alive (it owns one reference), so its address cannot be reused for another token
    /// while the entry exists: equal pointers mean the same immutable token. Entries are replaced
    /// round robin; the replaced entry's reference is freed by whoever replaced it (the C API
    /// allows frees from any thread), and the rest by <see cref="Dispose"/> or the finalizer.
    /// </summary>
    internal sealed class TokenMemo : IDisposable
    {
        /// <summary>Enough for a token per thread on a busy machine (the library hands each thread
        /// its own copy of the current token).</summary>
        private const int Size = 16;

        private readonly Entry[] entries = new Entry[Size];
        private int next;

        ~TokenMemo()
        {
            Release();
        }

        /// <summary>The managed copy of <paramref name="native"/>, a live token the caller holds,
        /// or null.</summary>
        internal AccessToken Find(IntPtr native)
        {
            for (int i = 0; i < Size; i++)
            {
                Entry entry = Volatile.Read(ref entries[i]);
                if (entry != null && entry.Native == native)
                {
                    return entry.Token;
                }
            }
            return null;
        }

        /// <summary>Remembers <paramref name="token"/> as the copy of <paramref name="native"/>,
        /// taking over the caller's reference to it.</summary>
        internal void Keep(IntPtr native, AccessToken token)
        {
            int at = (Interlocked.Increment(ref next) & int.MaxValue) % Size;
            Entry replaced = Interlocked.Exchange(ref entries[at], new Entry(native, token));
            if (replaced != null)
            {
                NativeMethods.vf_token_free(replaced.Native);
            }
        }

        /// <summary>Frees every native token held.</summary>
        public void Dispose()
        {
            Release();
            GC.SuppressFinalize(this);
        }

        private void Release()
        {
            for (int i = 0; i < Size; i++)
            {
                Entry entry = Interlocked.Exchange(ref entries[i], null);
                if (entry != null)
                {
                    NativeMethods.vf_token_free(entry.Native);
                }
            }
        }

        private sealed class Entry
        {
            internal readonly IntPtr Native;
            internal readonly AccessToken Token;

            internal Entry(IntPtr native, AccessToken token)
            {
                Native = native;
                Token = token;
            }
        }
    }
}
