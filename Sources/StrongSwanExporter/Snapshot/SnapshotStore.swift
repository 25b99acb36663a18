import Synchronization

/// Holds the latest ``Snapshot``; written by the poller (and event follower), read by every scrape.
/// Swapping is atomic: a scrape sees one whole snapshot, never a mix.
public final class SnapshotStore: Sendable {
    private let current: Mutex<Snapshot?>

    /// Creates an empty store (scrapes before the first poll get only the exporter's own metrics).
    public init() { current = Mutex(nil) }

    /// The latest snapshot.
    public var snapshot: Snapshot? { current.withLock { $0 } }

    /// Replaces the snapshot.
    public func publish(_ snapshot: Snapshot) { current.withLock { $0 = snapshot } }
}
