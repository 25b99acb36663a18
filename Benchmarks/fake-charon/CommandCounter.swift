import Foundation
import Synchronization

/// Counts the commands served, by name, and mirrors the counts into a status file.
final class CommandCounter: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    private let statusFile: String?

    init(statusFile: String?) {
        self.statusFile = statusFile
        write([:])
    }

    /// Counts one `command` and rewrites the status file.
    func served(_ command: String) {
        let snapshot = counts.withLock { counts in
            counts[command, default: 0] += 1
            return counts
        }
        write(snapshot)
    }

    private func write(_ counts: [String: Int]) {
        guard let statusFile else { return }
        let text = counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)\n" }.joined()
        // Written whole and renamed into place, so a reader never sees half a file.
        let temporary = statusFile + ".tmp"
        if FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)) {
            _ = rename(temporary, statusFile)
        }
    }
}
