#if os(Linux)
import CMalloc
#endif

/// Fixes glibc's mmap threshold so that large buffers are always mapped and unmapped on their own.
///
/// glibc serves allocations of 128 KiB and more with their own mapping, but raises that threshold to the
/// size of any such block that is freed (up to 32 MiB on 64-bit). After the first poll has freed a few
/// megabytes of metric families and text, later buffers of that size come from the heap instead, where the
/// small objects that outlive a poll (models, ledger records) pin their pages: `malloc_trim` cannot return
/// them. Measured at 1,000 lab tunnels (anonymous RSS sampled over 12 polls, same binary and lab, runs
/// alternated; BENCHMARKS.md): the heap settled at ~36 MiB or ~19 MiB depending on whether the threshold had
/// moved; with it fixed, at ~19 MiB every time, at the same CPU per poll within noise.
/// Setting the threshold explicitly is what turns the dynamic adjustment off.
enum MallocTuning {
    /// glibc's default initial threshold, kept: what changes is that it no longer moves.
    static let mmapThreshold: Int32 = 128 * 1024

    /// Applies the tuning once at start; a no-op where glibc is not the allocator.
    static func apply() {
        #if os(Linux)
        _ = mallopt(M_MMAP_THRESHOLD, mmapThreshold)
        #endif
    }
}
