#if canImport(Glibc)
import Glibc
#endif
import PrometheusExposition
import Synchronization

/// The standard `process_*` metrics of the exporter's own process, read from `/proc/self` at each scrape
/// (Linux only; elsewhere nothing is rendered).
public enum ProcessMetrics {
    private static let startedAt = Mutex<Double?>(nil)

    /// Notes the current time as the process start, used when /proc/stat cannot be read.
    public static func noteStart() {
        startedAt.withLock { if $0 == nil { $0 = UnixTime.now() } }
    }

    /// Renders `process_cpu_seconds_total`, `process_resident_memory_bytes`, `process_virtual_memory_bytes`,
    /// `process_open_fds`, `process_max_fds` and `process_start_time_seconds` into `metrics`.
    public static func render(into metrics: inout MetricSet) {
        #if os(Linux)
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        if let stat = readFile("/proc/self/stat"), let close = stat.lastIndex(of: UInt8(ascii: ")")) {
            // Fields after "pid (comm) ": state is field 3; utime 14, stime 15, starttime 22, vsize 23, rss 24.
            let fields = stat[(close + 2)...].split(separator: UInt8(ascii: " "))
            func field(_ number: Int) -> Double? {
                let index = number - 3
                guard index >= 0, index < fields.count,
                      let text = String(validating: fields[index], as: UTF8.self), let value = Double(text)
                else { return nil }
                return value
            }
            if let utime = field(14), let stime = field(15), ticks > 0 {
                add(&metrics, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", .counter,
                    (utime + stime) / ticks)
            }
            if let vsize = field(23) {
                add(&metrics, "process_virtual_memory_bytes", "Virtual memory size in bytes.", .gauge, vsize)
            }
            if let rss = field(24) {
                add(&metrics, "process_resident_memory_bytes", "Resident memory size in bytes.", .gauge, rss * pageSize)
            }
            // /proc/stat (boot time) is hidden under systemd's ProcSubset=pid: fall back to the time noted at start.
            let start: Double? = if let ticksSinceBoot = field(22), ticks > 0, let boot = bootTime() {
                boot + ticksSinceBoot / ticks
            } else {
                startedAt.withLock { $0 }
            }
            if let start {
                add(&metrics, "process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                    .gauge, start)
            }
        }
        if let fds = openFileDescriptors() {
            add(&metrics, "process_open_fds", "Number of open file descriptors.", .gauge, Double(fds))
        }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            add(&metrics, "process_max_fds", "Maximum number of open file descriptors.", .gauge, Double(limit.rlim_cur))
        }
        #endif
    }

    /// The number of entries in `/proc/self/fd` (minus the one used to list it), or `nil`.
    public static func openFileDescriptors() -> Int? {
        #if os(Linux)
        guard let dir = opendir("/proc/self/fd") else { return nil }
        defer { closedir(dir) }
        var count = 0
        while let entry = readdir(dir) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { raw in raw.first == UInt8(ascii: ".") }
            if !isDot { count += 1 }
        }
        return max(0, count - 1)
        #else
        return nil
        #endif
    }

    private static func add(_ metrics: inout MetricSet, _ name: String, _ help: String, _ type: MetricType, _ value: Double) {
        guard var family = MetricFamily.declared(name, help, type) else { return }
        family.add(value)
        metrics.add(family)
    }

    private static func bootTime() -> Double? {
        guard let stat = readFile("/proc/stat") else { return nil }
        for line in stat.split(separator: UInt8(ascii: "\n")) where line.starts(with: "btime ".utf8) {
            guard let text = String(validating: line.dropFirst(6), as: UTF8.self) else { return nil }
            return Double(String(text.filter { !$0.isWhitespace }))
        }
        return nil
    }

    /// Reads a small /proc file (at most 64 KiB).
    static func readFile(_ path: String) -> [UInt8]? {
        #if os(Linux)
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while result.count < 65536 {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
            if n <= 0 { break }
            result.append(contentsOf: chunk[0..<n])
        }
        return result
        #else
        return nil
        #endif
    }
}
