import Foundation

/// This process's memory as Linux accounts it (`/proc/self/status`).
enum ProcessMemory {
    /// Resident set size now, in bytes (`VmRSS`; 0 if unreadable).
    static var resident: Int { field("VmRSS") }
    /// The highest resident set size so far, in bytes (`VmHWM`; 0 if unreadable).
    static var peakResident: Int { field("VmHWM") }

    private static func field(_ name: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kilobytes = Int(fields[1]) { return kilobytes * 1024 }
        }
        return 0
    }
}
