import ServiceLifecycle

/// Sends `STOPPING=1` to systemd as soon as graceful shutdown begins (or the group is cancelled).
///
/// Put it **last** in the `ServiceGroup`'s services: the group shuts services down in reverse order, so this one
/// goes first and systemd learns at once that the exporter is on its way out (`systemctl status` shows
/// "deactivating", and the watchdog timer is stopped while the other services drain).
public struct SystemdStoppingService: Service {
    private let notifier: SystemdNotifier

    /// Creates the service; it announces through `notifier`.
    public init(notifier: SystemdNotifier) {
        self.notifier = notifier
    }

    /// Waits for graceful shutdown or cancellation, sends `STOPPING=1`, returns.
    public func run() async throws {
        try? await gracefulShutdown()
        notifier.stopping()
    }
}
