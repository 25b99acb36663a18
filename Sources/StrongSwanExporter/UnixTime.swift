#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock time as unix seconds.
public enum UnixTime {
    /// The current unix time in seconds (with sub-second precision).
    public static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
