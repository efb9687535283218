using System.Runtime.InteropServices;
using RegistrationPortal.Web.Features.Operations;

namespace RegistrationPortal.Tests.Operations;

/// <summary>
/// The host's native memory trim on this machine's C library (glibc): memory that native code freed in the middle of
/// its heap, which glibc would otherwise keep for the life of the process, goes back to the system.
/// </summary>
public sealed class NativeMemoryTrimTests
{
    private const int BlockSize = 4_000;
    private const int Blocks = 30_000;

    [Fact]
    public void Memory_freed_between_blocks_still_in_use_leaves_the_process_when_trimmed()
    {
        // 120 MB in small blocks (from the heap, not mapped one by one), each page touched; every 64th block is kept,
        // so what is freed lies between blocks still in use and no free() can give it back on its own.
        var kept = new List<nint>();
        var freed = new List<nint>();
        try
        {
            for (var i = 0; i < Blocks; i++)
            {
                var block = Marshal.AllocHGlobal(BlockSize);
                for (var offset = 0; offset < BlockSize; offset += 1_000)
                {
                    Marshal.WriteByte(block, offset, 1);
                }

                (i % 64 == 0 ? kept : freed).Add(block);
            }

            freed.ForEach(Marshal.FreeHGlobal);
            var before = ResidentMiB();

            Assert.True(NativeMemoryTrim.TryTrim());

            var after = ResidentMiB();
            Assert.True(before - after >= 60, $"resident {before:0} MiB before the trim, {after:0} MiB after");
        }
        finally
        {
            kept.ForEach(Marshal.FreeHGlobal);
        }
    }

    private static double ResidentMiB()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return double.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024;
    }
}
