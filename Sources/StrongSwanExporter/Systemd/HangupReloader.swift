import ServiceLifecycle

/// Reloads on SIGHUP, as a service of the group: announces `RELOADING=1`, runs the reload, then `READY=1`
/// with a fresh status line.
///
/// Put it after ``SystemdStoppingService`` in the group: services shut down in reverse order, so it stops
/// taking signals (and finishes a reload under way) before `STOPPING=1` goes out. The notifier refuses
/// `RELOADING=1`/`READY=1` after `STOPPING=1` besides.
struct HangupReloader<Signals: AsyncSequence & Sendable>: Service where Signals.Element: Sendable {
    let hangups: Signals
    let notifier: SystemdNotifier
    /// Reloads what can be reloaded; returns the status line for `READY=1`.
    let reload: @Sendable () async -> String

    func run() async throws {
        for try await _ in hangups.cancelOnGracefulShutdown() {
            guard notifier.reloading() != .suppressed else { break }
            let status = await reload()
            notifier.ready(status: status)
        }
    }
}
