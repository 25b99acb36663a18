import Synchronization
import TestSupport
import VICI

/// A charon that answers too slowly or not at all, to hold the real binary's poll loop inside a poll:
/// TestSupport's ``ScriptedCharon`` with a timeline of the commands on ``SystemdClock``'s clock.
///
/// - ``Mode/slow(seconds:)``: every command is answered `seconds` after it arrived (keep it under
///   `--vici.timeout`, so no command times out and the poll goes on, one slow command after the other).
///   Event (un)registrations are confirmed at once. Responses carry `success=yes` (plus a version for
///   `version`), enough for every collector to go on to its next command.
/// - ``Mode/silent``: connections are accepted and read, nothing is ever answered.
final class SlowCharon: Sendable {
    enum Mode {
        case slow(seconds: Double)
        case silent
    }

    /// One command as the server saw it (CLOCK_MONOTONIC seconds, the clock of ``SystemdClock/now()``).
    struct Command: Sendable {
        let name: String
        let arrived: Double
        /// When the answer was written; `nil` while unanswered (always, in silent mode).
        var answered: Double?
    }

    private final class Timeline: Sendable {
        struct State {
            var commands: [Command] = []
            /// Per connection, the indices of its unanswered commands, oldest first.
            var pending: [ObjectIdentifier: [Int]] = [:]
        }

        let state = Mutex(State())
        func withLock<R>(_ body: (inout State) -> R) -> R { state.withLock { body(&$0) } }
    }

    private let charon: ScriptedCharon
    private let timeline: Timeline

    var uri: String { charon.uri }
    /// The commands received so far, in order.
    var commands: [Command] { timeline.withLock { $0.commands } }

    init(mode: Mode) throws {
        let timeline = Timeline()
        var script: CharonScript
        switch mode {
        case .slow(let seconds):
            let success = VICIMessage([.init("success", .value("yes"))])
            let version = VICIMessage([
                .init("daemon", .value("charon")), .init("version", .value("5.9.8")), .init("sysname", .value("Linux")),
                .init("release", .value("fake")), .init("machine", .value("x86_64")),
            ])
            script = CharonScript(knownEvents: nil) { command, _ in
                .delayed(.milliseconds(Int64(seconds * 1000)), .response(command == "version" ? version : success))
            }
            script.onReplied = { _, session in
                let now = SystemdClock.now()
                timeline.withLock { timeline in
                    guard let index = timeline.pending[ObjectIdentifier(session)]?.first else { return }
                    timeline.pending[ObjectIdentifier(session)]?.removeFirst()
                    timeline.commands[index].answered = now
                }
            }
        case .silent:
            script = CharonScript(knownEvents: nil) { _, _ in .silence }
            script.onRegister = { _, _ in true }
        }
        script.onCommand = { name, _, session in
            let now = SystemdClock.now()
            timeline.withLock { timeline in
                timeline.pending[ObjectIdentifier(session), default: []].append(timeline.commands.count)
                timeline.commands.append(Command(name: name, arrived: now))
            }
            return false
        }
        self.timeline = timeline
        charon = try ScriptedCharon.listening(script: script)
    }

    /// Stops listening, closes every connection and removes the socket.
    func stop() {
        charon.stopListening()
    }
}
