import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A stand-in for charon's VICI socket that answers too slowly or not at all, to hold the real binary's poll
/// loop inside a poll (a small python3 script, as the lab already needs python3; LabTests has no NIO).
///
/// - ``Mode/slow(seconds:)``: every command is answered, `seconds` after it arrived (keep it under
///   `--vici.timeout`, so no command times out and the poll goes on, one slow command after the other).
///   Event (un)registrations are confirmed at once. Responses carry `success=yes` (plus a version for
///   `version`), enough for every collector to go on to its next command.
/// - ``Mode/silent``: connections are accepted and read, nothing is ever answered.
///
/// Every command is logged as `<command> <arrival> <answer>` (CLOCK_MONOTONIC seconds, the clock of
/// ``SystemdClock/now()``; `<answer>` is `-` in silent mode) to ``logPath``.
final class SystemdFakeVICI {
    enum Mode {
        case slow(seconds: Double)
        case silent
    }

    /// One command as the fake server saw it.
    struct Command {
        let name: String
        let arrived: Double
        let answered: Double?
    }

    let socketPath: String
    let logPath: String
    let pid: pid_t
    private let directory: String
    private var stopped = false

    var uri: String { "unix://" + socketPath }

    init(mode: Mode) throws {
        directory = try SystemdTemporaryDirectory.make(prefix: "fakevici")
        socketPath = directory + "/charon.vici"
        logPath = directory + "/commands.log"
        let scriptPath = directory + "/fake_vici.py"
        try Data(Self.script.utf8).write(to: URL(fileURLWithPath: scriptPath))
        let delay: String
        switch mode {
        case .slow(let seconds): delay = String(seconds)
        case .silent: delay = "never"
        }
        pid = try SystemdChild.spawn(
            "/usr/bin/env", ["python3", scriptPath, socketPath, delay, logPath],
            environment: SystemdChild.cleanEnvironment(), logPath: directory + "/server.err")
        let start = SystemdClock.now()
        while !FileManager.default.fileExists(atPath: socketPath) {
            if SystemdClock.now() - start > 10 {
                stop()
                throw LabError("the fake VICI server did not create \(socketPath): \(errors)")
            }
            if Subprocess.exitStatus(of: pid, wait: false) != nil {
                stopped = true
                throw LabError("the fake VICI server exited: \(errors)")
            }
            usleep(20_000)
        }
    }

    var errors: String {
        String(decoding: FileManager.default.contents(atPath: directory + "/server.err") ?? Data(), as: UTF8.self)
    }

    /// The commands received so far, in order.
    var commands: [Command] {
        let text = String(decoding: FileManager.default.contents(atPath: logPath) ?? Data(), as: UTF8.self)
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count == 3, let arrived = Double(fields[1]) else { return nil }
            return Command(name: String(fields[0]), arrived: arrived, answered: Double(fields[2]))
        }
    }

    func stop() {
        guard !stopped else { return }
        stopped = true
        kill(pid, SIGKILL)
        _ = Subprocess.exitStatus(of: pid, wait: true)
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }

    static let script = #"""
import os, socket, struct, sys, threading, time

path, delay, log_path = sys.argv[1], sys.argv[2], sys.argv[3]
delay = None if delay == "never" else float(delay)
log_lock = threading.Lock()

def log(line):
    with log_lock:
        with open(log_path, "a") as f:
            f.write(line + "\n")

def kv(key, value):
    k, v = key.encode(), value.encode()
    return bytes([3, len(k)]) + k + struct.pack(">H", len(v)) + v

def frame(packet):
    return struct.pack(">I", len(packet)) + packet

def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data

def serve(conn):
    try:
        while True:
            (length,) = struct.unpack(">I", read_exact(conn, 4))
            packet = read_exact(conn, length)
            kind = packet[0]
            name = packet[2:2 + packet[1]].decode(errors="replace") if kind in (0, 3, 4) else ""
            if kind == 0:                      # CMD_REQUEST
                arrived = time.monotonic()
                if delay is None:
                    log("%s %.6f -" % (name, arrived))
                    continue
                time.sleep(delay)
                body = kv("success", "yes")
                if name == "version":
                    body = kv("daemon", "charon") + kv("version", "5.9.8") + kv("sysname", "Linux") \
                        + kv("release", "fake") + kv("machine", "x86_64")
                conn.sendall(frame(bytes([1]) + body))   # CMD_RESPONSE
                log("%s %.6f %.6f" % (name, arrived, time.monotonic()))
            elif kind in (3, 4) and delay is not None:   # EVENT_REGISTER / EVENT_UNREGISTER
                conn.sendall(frame(bytes([5])))          # EVENT_CONFIRM
    except (EOFError, OSError):
        pass
    finally:
        conn.close()

if os.path.exists(path):
    os.unlink(path)
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path + ".tmp")
server.listen(16)
os.rename(path + ".tmp", path)
while True:
    conn, _ = server.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
"""#
}
