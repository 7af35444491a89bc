using System.Runtime.CompilerServices;

// The test program (bindings/csharp/tests) checks the status-to-exception table and the
// library search directly.
[assembly: InternalsVisibleTo("VidiFlow.Auth.Tests")]
