#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VICI

/// charon's answer to `stats`: load, queues and (when available) memory.
public struct DaemonStats: Sendable, Hashable {
    /// Job priorities charon reports workers and queues for, in its order.
    public static let priorities = ["critical", "high", "medium", "low"]

    /// `uptime.since` as charon printed it (local time, e.g. `Nov 25 11:30:01 2026`).
    public var since: String = ""
    /// `since` as a unix timestamp, if it could be parsed.
    public var startTime: Int64?
    /// Total worker threads.
    public var workersTotal: UInt64?
    /// Idle worker threads.
    public var workersIdle: UInt64?
    /// Active worker threads by priority (keys from ``priorities``).
    public var workersActive: [String: UInt64] = [:]
    /// Queued jobs by priority.
    public var queues: [String: UInt64] = [:]
    /// Jobs scheduled for timed execution.
    public var scheduled: UInt64?
    /// IKE_SAs in total.
    public var ikeSAsTotal: UInt64?
    /// Half-open IKE_SAs.
    public var ikeSAsHalfOpen: UInt64?
    /// Loaded plugins, in load order.
    public var plugins: [String] = []
    /// `mem.total` (leak-detective builds only).
    public var memTotal: UInt64?
    /// `mem.allocs` (leak-detective builds only).
    public var memAllocs: UInt64?
    /// `mallinfo` values by name (`sbrk`, `mmap`, `used`, `free`), when charon has mallinfo().
    public var mallinfo: [String: UInt64] = [:]

    /// Creates empty statistics.
    public init() {}

    /// Maps a `stats` response. Absent or malformed numbers are `nil` (and their series are not emitted).
    public init(message: VICIMessage) {
        if let uptime = message.section("uptime") {
            since = uptime.string("since") ?? ""
            startTime = DaemonStats.parseSince(since)
        }
        if let workers = message.section("workers") {
            workersTotal = workers.uint64("total")
            workersIdle = workers.uint64("idle")
            if let active = workers.section("active") {
                for priority in DaemonStats.priorities {
                    if let value = active.uint64(priority) { workersActive[priority] = value }
                }
            }
        }
        if let queues = message.section("queues") {
            for priority in DaemonStats.priorities {
                if let value = queues.uint64(priority) { self.queues[priority] = value }
            }
        }
        scheduled = message.uint64("scheduled")
        if let ikesas = message.section("ikesas") {
            ikeSAsTotal = ikesas.uint64("total")
            ikeSAsHalfOpen = ikesas.uint64("half-open")
        }
        plugins = message.list("plugins") ?? []
        if let mem = message.section("mem") {
            memTotal = mem.uint64("total")
            memAllocs = mem.uint64("allocs")
        }
        if let mallinfo = message.section("mallinfo") {
            for entry in mallinfo.entries {
                if case .value(let bytes) = entry.element, let value = VICIMessage.parseUInt64(bytes) {
                    self.mallinfo[entry.name] = value
                }
            }
        }
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Parses charon's `%T` time format (`Mon DD HH:MM:SS YYYY`, in the daemon's local time zone, which is
    /// this host's) into a unix timestamp, or `nil`.
    public static func parseSince(_ text: String) -> Int64? {
        let fields = text.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 4,
              let month = months.firstIndex(of: String(fields[0])),
              let day = Int32(fields[1]), (1...31).contains(day),
              let year = Int32(fields[3]), (1970...9999).contains(year)
        else { return nil }
        let clock = fields[2].split(separator: ":")
        guard clock.count == 3,
              let hour = Int32(clock[0]), (0...23).contains(hour),
              let minute = Int32(clock[1]), (0...59).contains(minute),
              let second = Int32(clock[2]), (0...60).contains(second)
        else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = Int32(month)
        parts.tm_mday = day
        parts.tm_hour = hour
        parts.tm_min = minute
        parts.tm_sec = second
        parts.tm_isdst = -1
        let seconds = mktime(&parts)
        guard seconds != -1 else { return nil }
        return Int64(seconds)
    }
}
