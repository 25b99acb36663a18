#if os(Linux)
import CMalloc
import Glibc
#endif

/// How the exporter keeps glibc's heap small: one malloc arena, and freed pages handed back to the kernel
/// after a poll and after a large rendering.
///
/// glibc gives threads their own arenas (up to eight per core) when they contend; each keeps its own free
/// memory, so a big poll decoded on one thread and rendered on another leaves two peaks resident. Against a
/// synthetic charon with 1,000 connections, one arena held 15-17 MiB of anonymous memory where the default
/// held 23-29 MiB (`MALLOC_ARENA_MAX=1` against the default, same binary). The exporter's threads allocate
/// little at a time, so the shared arena's lock costs nothing measurable.
///
/// A poll of a big gateway decodes and drops tens of megabytes of messages and models, and a rendering
/// allocates and frees a metric set as large. glibc keeps freed memory inside its arenas for reuse, so
/// without a trim the resident size stays at the peak of the largest poll forever; `malloc_trim(0)` releases
/// the free pages. It costs a walk of the heap (milliseconds on a big gateway): once per poll, and for
/// renderings caused by events only when they are large.
public enum MallocTuning {
    /// Limits glibc to one malloc arena (unless `MALLOC_ARENA_MAX` is set in the environment). Call it first
    /// thing, before threads allocate.
    public static func useOneArena() {
        #if os(Linux)
        if getenv("MALLOC_ARENA_MAX") == nil { _ = mallopt(M_ARENA_MAX, 1) }
        #endif
    }

    /// Renderings smaller than this are not worth a trim.
    static let threshold = 4 << 20

    /// Trims the heap if a rendering of `bytes` bytes was just released.
    static func trim(afterRendering bytes: Int) {
        guard bytes >= threshold else { return }
        trim()
    }

    /// Trims the heap.
    static func trim() {
        #if os(Linux)
        _ = malloc_trim(0)
        #endif
    }
}
