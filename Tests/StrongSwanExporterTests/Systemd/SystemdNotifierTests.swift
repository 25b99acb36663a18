import Foundation
@testable import StrongSwanExporter
import Synchronization
import Testing

extension ProcessEnvironmentSuite {
    /// `SystemdNotifier` against a real datagram socket standing in for systemd's.
    @Suite struct SystemdNotifierTests {
        let notifier = SystemdNotifier()

        /// Runs `body` with `NOTIFY_SOCKET` naming a fresh listener.
        private func withNotifySocket(_ body: (NotifySocketListener) throws -> Void) throws {
            let listener = try NotifySocketListener()
            try withEnvironment(systemdEnvironment(["NOTIFY_SOCKET": listener.path])) {
                try body(listener)
            }
        }

        @Test func readySendsReady() throws {
            try withNotifySocket { listener in
                #expect(notifier.isConfigured)
                #expect(notifier.ready() == .sent)
                #expect(listener.receive() == "READY=1")
            }
        }

        @Test func readyWithStatusSendsOneDatagram() throws {
            try withNotifySocket { listener in
                #expect(notifier.ready(status: "serving on :9814") == .sent)
                #expect(listener.receive() == "READY=1\nSTATUS=serving on :9814")
                #expect(listener.receiveIfQueued() == nil)
            }
        }

        @Test func statusIsKeptOnOneLine() throws {
            try withNotifySocket { listener in
                #expect(notifier.status("poll failed:\nREADY=1\r\0x") == .sent)
                #expect(listener.receive() == "STATUS=poll failed: READY=1  x")
            }
        }

        @Test func watchdogStoppingSendTheirAssignments() throws {
            try withNotifySocket { listener in
                #expect(notifier.watchdog() == .sent)
                #expect(listener.receive() == "WATCHDOG=1")
                #expect(notifier.stopping() == .sent)
                #expect(listener.receive() == "STOPPING=1")
            }
        }

        @Test func reloadingCarriesTheCurrentMonotonicTime() throws {
            try withNotifySocket { listener in
                let before = monotonicMicroseconds()
                #expect(notifier.reloading() == .sent)
                let after = monotonicMicroseconds()
                let lines = try #require(listener.receive()).split(separator: "\n").map(String.init)
                #expect(lines.count == 2)
                #expect(lines.first == "RELOADING=1")
                let stamp = try #require(lines.last?.split(separator: "=", maxSplits: 1))
                #expect(stamp.first == "MONOTONIC_USEC")
                let microseconds = try #require(stamp.last.flatMap { UInt64($0) })
                #expect((before...after).contains(microseconds))
            }
        }

        @Test func extendTimeoutSendsMicroseconds() throws {
            try withNotifySocket { listener in
                #expect(notifier.extendTimeout(by: .seconds(90) + .milliseconds(250)) == .sent)
                #expect(listener.receive() == "EXTEND_TIMEOUT_USEC=90250000")
                #expect(notifier.extendTimeout(by: .seconds(-5)) == .sent)
                #expect(listener.receive() == "EXTEND_TIMEOUT_USEC=0")
            }
        }

        @Test func withoutNotifySocketEverythingIsANoOp() throws {
            let listener = try NotifySocketListener()
            withEnvironment(clearSystemdEnvironment) {
                #expect(!notifier.isConfigured)
                #expect(notifier.ready(status: "x") == .notConfigured)
                #expect(notifier.status("x") == .notConfigured)
                #expect(notifier.watchdog() == .notConfigured)
                #expect(notifier.stopping() == .notConfigured)
                #expect(notifier.reloading() == .notConfigured)
                #expect(notifier.extendTimeout(by: .seconds(1)) == .notConfigured)
            }
            #expect(listener.receiveIfQueued() == nil)
        }

        @Test func anUnreachableNotifySocketFailsWithoutTrapping() throws {
            withEnvironment(systemdEnvironment(["NOTIFY_SOCKET": "/nonexistent/ssx/notify.sock"])) {
                #expect(notifier.ready() == .failed(errno: ENOENT))
            }
            withEnvironment(systemdEnvironment(["NOTIFY_SOCKET": "not an address"])) {
                guard case .failed = notifier.watchdog() else {
                    Issue.record("a malformed NOTIFY_SOCKET must report a failure")
                    return
                }
            }
        }

        @Test func stoppingServiceAnnouncesStoppingWhenCancelled() async throws {
            let listener = try NotifySocketListener()
            try await withEnvironment(systemdEnvironment(["NOTIFY_SOCKET": listener.path])) {
                let service = SystemdStoppingService(notifier: notifier)
                let task = Task { try await service.run() }
                #expect(listener.receiveIfQueued() == nil)
                task.cancel()
                try await task.value
            }
            #expect(listener.receive() == "STOPPING=1")
        }

        /// A SIGHUP during the shutdown grace period must not tell systemd the service is ready again.
        @Test func readyAndReloadingAreSuppressedAfterStopping() throws {
            try withNotifySocket { listener in
                let copy = notifier
                #expect(notifier.stopping() == .sent)
                #expect(listener.receive() == "STOPPING=1")
                #expect(copy.reloading() == .suppressed)
                #expect(copy.ready(status: "reloaded") == .suppressed)
                #expect(notifier.status("draining") == .sent)
                #expect(listener.receive() == "STATUS=draining")
                #expect(listener.receiveIfQueued() == nil)
            }
        }

        @Test func hangupReloaderAnnouncesEachReloadAndStopsAtShutdown() async throws {
            let listener = try NotifySocketListener()
            try await withEnvironment(systemdEnvironment(["NOTIFY_SOCKET": listener.path])) {
                let (hangups, signal) = AsyncStream.makeStream(of: Void.self)
                let reloads = ReloadCount()
                let reloader = HangupReloader(hangups: hangups, notifier: notifier) {
                    reloads.value.withLock { $0 += 1 }
                    return "reloaded"
                }
                let task = Task { try await reloader.run() }
                signal.yield()
                #expect(listener.receive()?.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") == true)
                #expect(listener.receive() == "READY=1\nSTATUS=reloaded")
                #expect(notifier.stopping() == .sent)
                #expect(listener.receive() == "STOPPING=1")
                signal.yield()
                signal.finish()
                try await task.value
                #expect(reloads.value.withLock { $0 } == 1, "no reload once STOPPING=1 was sent")
            }
            #expect(listener.receiveIfQueued() == nil)
        }

        private func monotonicMicroseconds() -> UInt64 {
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
        }
    }
}

/// How many reloads a ``HangupReloader`` ran.
private final class ReloadCount: Sendable {
    let value = Mutex(0)
}
