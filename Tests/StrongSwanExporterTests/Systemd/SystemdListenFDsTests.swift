import Foundation
import NIOCore
import NIOPosix
import StrongSwanExporter
import Testing

extension ProcessEnvironmentSuite {
    /// Socket activation: reading `LISTEN_FDS`/`LISTEN_PID`/`LISTEN_FDNAMES`, and serving on descriptor 3.
    @Suite struct SystemdListenFDsTests {
        /// Marks the child process of ``servesOnDescriptor3InASocketActivatedChild()``.
        static let childMarker = "STRONGSWAN_EXPORTER_TEST_SOCKET_ACTIVATION_CHILD"

        @Test func notSocketActivatedMeansNoSockets() throws {
            let activation = try withEnvironment(clearSystemdEnvironment) { try SystemdListenFDs.fromEnvironment() }
            #expect(activation.sockets.isEmpty)
        }

        @Test func socketsMeantForAnotherProcessAreNotOurs() throws {
            let environment = systemdEnvironment(["LISTEN_FDS": "1", "LISTEN_PID": String(getpid() + 1)])
            let activation = try withEnvironment(environment) { try SystemdListenFDs.fromEnvironment() }
            #expect(activation.sockets.isEmpty)
        }

        @Test(arguments: ["two", "-1x", "99999999999999999999"])
        func malformedListenFDsThrowsInsteadOfTrapping(_ count: String) {
            withEnvironment(systemdEnvironment(["LISTEN_FDS": count, "LISTEN_PID": String(getpid())])) {
                _ = #expect {
                    _ = try SystemdListenFDs.fromEnvironment()
                } throws: { error in
                    (error as? SystemdError)?.code == .invalidListenEnvironment
                }
            }
        }

        @Test func socketsAreFoundByName() {
            let activation = SystemdListenFDs(sockets: [.init(descriptor: 3, name: "metrics"), .init(descriptor: 4, name: "tls")])
            #expect(activation.socket(named: "tls")?.descriptor == 4)
            #expect(activation.socket(named: "other") == nil)
        }

        /// The real thing, as systemd does it: a child process started with a listening socket at descriptor 3,
        /// `LISTEN_FDS`, `LISTEN_PID` (its own pid) and `LISTEN_FDNAMES`. Descriptor 3 of this test process
        /// belongs to the runtime, so it cannot be replaced here; the child is this test binary again, running only
        /// ``socketActivatedChild()``, which takes the sockets and serves one greeting with NIO.
        @Test(.timeLimit(.minutes(1)))
        func servesOnDescriptor3InASocketActivatedChild() async throws {
            let listener = try GreetingServer.makeListener()
            // Above any descriptor the child's dup2 targets, and closed in the child on exec.
            let listenerCopy = fcntl(listener.descriptor, F_DUPFD_CLOEXEC, 100)
            let notASocket = open("/dev/null", O_RDONLY | O_CLOEXEC)
            let notASocketCopy = fcntl(notASocket, F_DUPFD_CLOEXEC, 100)
            close(listener.descriptor)
            close(notASocket)

            let log = NSTemporaryDirectory() + "/ssx-socket-activation-child-\(getpid()).log"
            defer { unlink(log) }
            let spawned = Result { () throws -> pid_t in
                guard listenerCopy >= 100 && notASocketCopy >= 100 else { throw POSIXError(.EBADF) }
                return try spawnSocketActivatedChild(listener: listenerCopy, notASocket: notASocketCopy, log: log)
            }
            // The child holds its own copies now; if it dies, the client sees the connection fail.
            close(listenerCopy)
            close(notASocketCopy)
            let child = try spawned.get()

            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let text: String
            do {
                text = try await GreetingServer.read(port: listener.port, group: group)
            } catch {
                kill(child, SIGKILL)
                _ = waitForExit(child)
                try await group.shutdownGracefully()
                Issue.record("reading from the socket-activated child failed: \(error); its output:\n\(childOutput(log))")
                return
            }
            try await group.shutdownGracefully()
            let status = waitForExit(child)
            #expect(text == "hello from descriptor 3 named metrics\n")
            #expect(status == 0, "the child's own expectations failed; its output:\n\(childOutput(log))")
        }

        /// The child's half of ``servesOnDescriptor3InASocketActivatedChild()``; skipped in a normal run.
        @Test(.enabled(if: ProcessInfo.processInfo.environment[Self.childMarker] == "1", "runs only in the child"))
        func socketActivatedChild() async throws {
            let activation = try SystemdListenFDs.fromEnvironment()
            #expect(activation.sockets == [.init(descriptor: 3, name: "metrics"), .init(descriptor: 4, name: "notasocket")])
            #expect(fcntl(3, F_GETFD) & FD_CLOEXEC != 0, "sd_listen_fds marks inherited descriptors close-on-exec")

            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let notASocket = try #require(activation.socket(named: "notasocket"))
            await #expect {
                try await GreetingServer.serveOne(on: notASocket, group: group)
            } throws: { error in
                (error as? SystemdError)?.code == .notAListeningStreamSocket
            }
            try await GreetingServer.serveOne(on: try #require(activation.socket(named: "metrics")), group: group)
            try await group.shutdownGracefully()
        }

        /// Starts this test binary running only ``socketActivatedChild()``, with `listener` as descriptor 3 and
        /// `notASocket` as descriptor 4. `/bin/sh` sets `LISTEN_PID=$$` and execs, keeping its pid, just as
        /// systemd (and `systemd-socket-activate`) set it after forking. Output goes to `log`.
        private func spawnSocketActivatedChild(listener: CInt, notASocket: CInt, log: String) throws -> pid_t {
            let executable = try #require(try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            let arguments = [
                "/bin/sh", "-c", "LISTEN_PID=$$; export LISTEN_PID; exec \"$0\" \"$@\"",
                executable, "--testing-library", "swift-testing", "--filter", "socketActivatedChild",
            ]
            var environment = ProcessInfo.processInfo.environment
            for name in ["LISTEN_PID", "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
                environment[name] = nil
            }
            environment["LISTEN_FDS"] = "2"
            environment["LISTEN_FDNAMES"] = "metrics:notasocket"
            environment[Self.childMarker] = "1"

            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_adddup2(&actions, listener, 3)
            posix_spawn_file_actions_adddup2(&actions, notASocket, 4)
            posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)

            let argv = arguments.map { strdup($0) } + [nil]
            let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
            defer {
                argv.forEach { free($0) }
                envp.forEach { free($0) }
            }
            var pid = pid_t()
            let result = posix_spawn(&pid, "/bin/sh", &actions, nil, argv, envp)
            guard result == 0 else { throw POSIXError(.init(rawValue: result) ?? .EIO) }
            return pid
        }

        /// Waits for `pid` and returns its exit status, or -1 when it was killed by a signal.
        private func waitForExit(_ pid: pid_t) -> CInt {
            var status: CInt = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            return status & 0x7f == 0 ? (status >> 8) & 0xff : -1
        }

        private func childOutput(_ log: String) -> String {
            (try? String(contentsOfFile: log, encoding: .utf8)) ?? "(none)"
        }
    }
}
