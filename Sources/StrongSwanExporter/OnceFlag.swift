import Synchronization

/// A flag that is set once, from any task or thread.
final class OnceFlag: Sendable {
    private let value = Mutex(false)

    /// Whether the flag is set.
    var isSet: Bool { value.withLock { $0 } }

    /// Sets the flag; returns true the first time only.
    func setOnce() -> Bool { value.withLock { flag in defer { flag = true }; return !flag } }
}
