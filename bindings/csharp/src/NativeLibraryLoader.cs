using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace VidiFlow.Auth
{
    /// <summary>
    /// Finds libvidiflow_auth and checks its ABI version, once per process, before the first call
    /// into it. Search order: next to this assembly, then the NuGet package's
    /// <c>runtimes/RID/native</c> folder (see <see cref="RuntimesFolders"/>; <c>win-x64</c> on
    /// 64-bit Windows), then <c>VF_LIBRARY_PATH</c> (a file, or a folder holding the library),
    /// then the system's own search (LD_LIBRARY_PATH, ldconfig, PATH, DYLD_LIBRARY_PATH, ...). On
    /// Windows the file is <c>vidiflow_auth.dll</c>, elsewhere <c>libvidiflow_auth.so</c> or
    /// <c>libvidiflow_auth.dylib</c>.
    /// </summary>
    /// <remarks>
    /// <para>How the chosen file reaches the DllImports depends on the runtime:</para>
    /// <list type="bullet">
    /// <item><description>Modern .NET (the net8.0 build): a DllImport resolver
    /// (<c>NativeLibrary.SetDllImportResolver</c>), compiled only there.</description></item>
    /// <item><description>Mono: a process-wide dllmap entry added with the runtime's
    /// <c>mono_dllmap_insert</c>. Loading the file with <c>dlopen</c> first does not work: glibc
    /// matches a later <c>dlopen("libvidiflow_auth.so")</c> to a loaded library only by the name it was opened with or by SONAME, and
    /// the library has none (debug) or <c>libvidiflow_auth.so.N</c> (release).</description></item>
    /// <item><description>.NET Framework on Windows: the DLL is loaded by full path first, and the
    /// DllImport binds to the module already loaded under that name.</description></item>
    /// </list>
    /// <para>Mono resolves a P/Invoke when it compiles the method that calls it, so every public
    /// entry point that can run first calls <see cref="EnsureLoaded"/> from a method with no
    /// P/Invoke in it, and makes its native calls in a separate method marked
    /// <see cref="MethodImplOptions.NoInlining"/>.</para>
    /// </remarks>
    internal static class NativeLibraryLoader
    {
        /// <summary>The environment variable naming the library file or its folder.</summary>
        internal const string PathVariable = "VF_LIBRARY_PATH";

        /// <summary>True on Windows (checked without RuntimeInformation, which old Mono lacks).</summary>
        private static readonly bool OnWindows = Path.DirectorySeparatorChar == '\\';

        /// <summary>The platform's own file names only: a folder shared by several platforms'
        /// builds must not hand Windows a .so, or Linux a .dll.</summary>
        private static readonly string[] FileNames = OnWindows
            ? new[] { "vidiflow_auth.dll" }
            : new[] { "libvidiflow_auth.so", "libvidiflow_auth.dylib" };

        private static readonly object Gate = new object();
        private static volatile bool ready;
        private static string loadedFrom;

        /// <summary>
        /// The file chosen by the search, or "system search" when neither the assembly's folder nor
        /// VF_LIBRARY_PATH had it. Null before the first successful <see cref="EnsureLoaded"/>.
        /// </summary>
        internal static string LoadedFrom
        {
            get { return ready ? loadedFrom : null; }
        }

        /// <summary>
        /// Locates the library, hooks it into the runtime and checks its ABI version. Cheap after
        /// the first success; throws <see cref="DllNotFoundException"/> naming every place
        /// searched, or <see cref="InvalidOperationException"/> for a library of another ABI.
        /// No P/Invoke into libvidiflow_auth may appear in this method (see the remarks above).
        /// </summary>
        internal static void EnsureLoaded()
        {
            if (ready)
            {
                return;
            }
            lock (Gate)
            {
                if (ready)
                {
                    return;
                }
                var places = new List<string>();
                string path = Locate(places);
                Hook(path);
                CheckAbi(path, places);
                loadedFrom = path ?? "system search";
                ready = true;
            }
        }

        /// <summary>The file to load, or null to leave it to the system's search.</summary>
        private static string Locate(List<string> places)
        {
            string here = AssemblyDirectory();
            if (here != null)
            {
                string found = InFolder(here, places);
                if (found != null)
                {
                    return found;
                }
                foreach (string folder in RuntimesFolders(here))
                {
                    found = InFolder(folder, places);
                    if (found != null)
                    {
                        return found;
                    }
                }
            }
            string configured = Environment.GetEnvironmentVariable(PathVariable);
            if (!string.IsNullOrEmpty(configured))
            {
                if (Directory.Exists(configured))
                {
                    string found = InFolder(configured, places);
                    if (found != null)
                    {
                        return found;
                    }
                    throw new DllNotFoundException(string.Format(
                        "{0}={1} is a folder without {2}", PathVariable, configured, string.Join(" or ", FileNames)));
                }
                if (File.Exists(configured))
                {
                    return Path.GetFullPath(configured);
                }
                throw new DllNotFoundException(string.Format(
                    "{0}={1} names no file or folder", PathVariable, configured));
            }
            places.Add("the system's library search path");
            return null;
        }

        private static string InFolder(string folder, List<string> places)
        {
            foreach (string name in FileNames)
            {
                string candidate = Path.Combine(folder, name);
                places.Add(candidate);
                if (File.Exists(candidate))
                {
                    return Path.GetFullPath(candidate);
                }
            }
            return null;
        }

        /// <summary>
        /// Where the NuGet package's native library is, seen from the assembly's folder: inside the
        /// package as `nuget install` unpacks it (the assembly in lib/TFM/, the library in
        /// runtimes/RID/native/ two levels up), and in an application's output, to which the .NET SDK
        /// copies the runtimes/ tree. None when the platform has no runtime identifier here.
        /// </summary>
        private static IEnumerable<string> RuntimesFolders(string assemblyFolder)
        {
            string rid = RuntimeIdentifier();
            if (rid == null)
            {
                yield break;
            }
            string native = Path.Combine("runtimes", rid, "native");
            yield return Path.Combine(assemblyFolder, native);
            yield return Path.Combine(assemblyFolder, "..", "..", native);
        }

        /// <summary>The NuGet runtime identifier of this process (linux-x64, win-x64, ...), or null.</summary>
        private static string RuntimeIdentifier()
        {
            string os = RuntimeInformation.IsOSPlatform(OSPlatform.Linux) ? "linux"
                : RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "win"
                : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "osx"
                : null;
            string arch;
            switch (RuntimeInformation.ProcessArchitecture)
            {
                case Architecture.X64: arch = "x64"; break;
                case Architecture.Arm64: arch = "arm64"; break;
                case Architecture.X86: arch = "x86"; break;
                case Architecture.Arm: arch = "arm"; break;
                default: arch = null; break;
            }
            return os == null || arch == null ? null : os + "-" + arch;
        }

        private static string AssemblyDirectory()
        {
            string location = null;
            try
            {
                location = typeof(NativeLibraryLoader).Assembly.Location;
            }
            catch (NotSupportedException)
            {
                // A dynamic or single-file assembly has no location.
            }
            if (!string.IsNullOrEmpty(location))
            {
                return Path.GetDirectoryName(location);
            }
            string baseDirectory = AppContext.BaseDirectory;
            return string.IsNullOrEmpty(baseDirectory) ? null : baseDirectory;
        }

        /// <summary>Makes DllImport("vidiflow_auth") load <paramref name="path"/> (null: the
        /// system's search, which needs nothing).</summary>
        private static void Hook(string path)
        {
#if NETCOREAPP3_0_OR_GREATER
            HookResolver(path);
#else
            if (path == null)
            {
                return;
            }
            if (Type.GetType("Mono.Runtime") != null)
            {
                HookMono(path);
            }
            else if (OnWindows)
            {
                HookWindows(path);
            }
#endif
        }

#if NETCOREAPP3_0_OR_GREATER
        private static string resolvedPath;

        private static void HookResolver(string path)
        {
            resolvedPath = path;
            try
            {
                NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);
            }
            catch (InvalidOperationException)
            {
                // The application installed its own resolver for this assembly: it decides.
            }
        }

        private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
        {
            if (libraryName != NativeMethods.Library || resolvedPath == null)
            {
                return IntPtr.Zero;
            }
            return NativeLibrary.Load(resolvedPath);
        }
#else
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void HookMono(string path)
        {
            try
            {
                NativeMethods.mono_dllmap_insert(
                    IntPtr.Zero, Utf8.Bytes(NativeMethods.Library), null, Utf8.Bytes(path), null);
            }
            catch (EntryPointNotFoundException)
            {
                // An embedded Mono that does not export its embedding API: Mono still searches
                // the assembly's folder and LD_LIBRARY_PATH itself.
            }
            catch (DllNotFoundException)
            {
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void HookWindows(string path)
        {
            if (NativeMethods.LoadLibraryW(path) == IntPtr.Zero)
            {
                // Say why (a 32-bit process, a missing dependency, ...) rather than the later
                // "not found" from the DllImport.
                int code = Marshal.GetLastWin32Error();
                throw new DllNotFoundException(string.Format(
                    "{0} could not be loaded: {1} (Windows error {2})",
                    path, new System.ComponentModel.Win32Exception(code).Message, code));
            }
        }
#endif

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void CheckAbi(string path, List<string> places)
        {
            uint abi;
            try
            {
                abi = NativeMethods.vf_abi_version();
            }
            catch (DllNotFoundException e)
            {
                throw new DllNotFoundException(NotFoundMessage(path, places), e);
            }
            catch (EntryPointNotFoundException e)
            {
                throw new DllNotFoundException(
                    string.Format("{0} is not libvidiflow_auth (it has no vf_abi_version)", path ?? "the library found"), e);
            }
            if (abi != NativeMethods.ExpectedAbiVersion)
            {
                throw new InvalidOperationException(string.Format(
                    "{0} has ABI version {1}, but this binding was written for ABI version {2}; use matching versions",
                    path ?? "libvidiflow_auth", abi, NativeMethods.ExpectedAbiVersion));
            }
        }

        private static string NotFoundMessage(string path, List<string> places)
        {
            if (path != null)
            {
                return string.Format("libvidiflow_auth could not be loaded from {0}", path);
            }
            return string.Format(
                "libvidiflow_auth was not found; searched: {0}. Put it next to {1}, set {2} to the file or its folder, or add its folder to the system's library path (LD_LIBRARY_PATH on Linux, PATH on Windows)",
                string.Join(", ", places), typeof(NativeLibraryLoader).Assembly.GetName().Name + ".dll", PathVariable);
        }
    }
}
