#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Counts heap allocations with ordo-one's malloc interposer, when it is preloaded
/// (`LD_PRELOAD=…/libMallocInterposerSwift.so`, as `scripts/bench-micro.sh` does for its allocation pass).
///
/// The benchmark does not link the interposer: its functions are looked up at run time, so the timed pass
/// runs with the system allocator untouched (the interposer's bookkeeping slows every allocation). Without
/// the preload, ``isActive`` is false and allocations are reported as `n/a`.
enum AllocationCounter {
    private typealias Toggle = @convention(c) () -> Void
    private typealias Stats = @convention(c) (
        UnsafeMutablePointer<Int64>, UnsafeMutablePointer<Int64>, UnsafeMutablePointer<Int64>,
        UnsafeMutablePointer<Int64>, UnsafeMutablePointer<Int64>, UnsafeMutablePointer<Int64>
    ) -> Void

    private struct Interposer {
        let enable: Toggle
        let disable: Toggle
        let reset: Toggle
        let stats: Stats
    }

    private static let interposer: Interposer? = {
        let handle = dlopen(nil, RTLD_NOW)
        func symbol(_ name: String) -> UnsafeMutableRawPointer? { dlsym(handle, name) }
        guard let enable = symbol("malloc_interposer_enable"), let disable = symbol("malloc_interposer_disable"),
              let reset = symbol("malloc_interposer_reset"), let stats = symbol("malloc_interposer_get_stats")
        else { return nil }
        return Interposer(enable: unsafeBitCast(enable, to: Toggle.self),
                          disable: unsafeBitCast(disable, to: Toggle.self),
                          reset: unsafeBitCast(reset, to: Toggle.self),
                          stats: unsafeBitCast(stats, to: Stats.self))
    }()

    /// Whether allocations are being counted in this process.
    static var isActive: Bool { interposer != nil }

    /// What `body` allocated.
    struct Counts {
        /// `malloc`-family calls.
        var allocations: Int
        /// Bytes allocated minus bytes freed: what `body` left allocated (e.g. the models it kept).
        var retainedBytes: Int
    }

    /// What `body` allocated, or `nil` when the interposer is not preloaded.
    static func count(_ body: () async throws -> Void) async rethrows -> Counts? {
        guard let interposer else {
            try await body()
            return nil
        }
        interposer.reset()
        interposer.enable()
        try await body()
        interposer.disable()
        var count: Int64 = 0, bytes: Int64 = 0, small: Int64 = 0, large: Int64 = 0, frees: Int64 = 0, freed: Int64 = 0
        interposer.stats(&count, &bytes, &small, &large, &frees, &freed)
        return Counts(allocations: Int(count), retainedBytes: Int(bytes - freed))
    }
}
