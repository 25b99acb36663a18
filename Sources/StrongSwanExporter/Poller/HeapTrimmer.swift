#if os(Linux)
import CMalloc
#endif

/// Hands freed heap pages back to the kernel after a poll and after a large rendering.
///
/// A poll of a big gateway decodes and drops tens of megabytes of messages and models, and a rendering
/// allocates and frees a metric set as large. glibc keeps freed memory inside its arenas for reuse, so
/// without a trim the resident size stays at the peak of the largest poll forever; `malloc_trim(0)` releases
/// the free pages. It costs a walk of the heap (milliseconds on a big gateway): once per poll, and for
/// renderings caused by events only when they are large.
enum HeapTrimmer {
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
