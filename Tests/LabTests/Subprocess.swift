import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs programs with posix_spawn and waitpid (Foundation's Process can miss the exit of a short-lived child
/// when many are started in a loop, and then waits forever). Output goes to temporary files, not pipes: a
/// daemon started by the program (charon from `lab.sh start`) would keep a pipe open.
enum Subprocess {
    struct Result {
        var status: Int32
        var output: Data
        var errors: String
    }

    static func run(_ executable: String, _ arguments: [String], stdin: Data? = nil) throws -> Result {
        let directory = FileManager.default.temporaryDirectory.path
        let token = UUID().uuidString
        let outPath = "\(directory)/sub-\(token).out", errPath = "\(directory)/sub-\(token).err"
        let inPath = "\(directory)/sub-\(token).in"
        defer { for path in [outPath, errPath, inPath] { unlink(path) } }
        _ = FileManager.default.createFile(atPath: inPath, contents: stdin ?? Data())
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw LabError("cannot run \(executable): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw LabError("waitpid failed: \(errno)") }
        }
        let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let output = FileManager.default.contents(atPath: outPath) ?? Data()
        let errors = String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self)
        return Result(status: exitStatus, output: output, errors: errors)
    }

    /// Starts a program in the background with stdout discarded (or appended to `outputPath`) and stderr
    /// appended to `logPath`.
    static func start(_ executable: String, _ arguments: [String], logPath: String, outputPath: String? = nil) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let outputPath {
            posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 2, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw LabError("cannot start \(executable): \(String(cString: strerror(spawned)))") }
        return pid
    }

    /// Whether `pid` is still running (reaps it if it exited); its exit status otherwise.
    static func exitStatus(of pid: pid_t, wait: Bool) -> Int32? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, wait ? 0 : WNOHANG)
        if result == 0 { return nil }
        if result == -1 { return -1 }
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}

/// A minimal HTTP/1.0 GET over a plain socket to 127.0.0.1, with a receive timeout.
enum TinyHTTP {
    static func get(port: Int, path: String, timeoutSeconds: Int = 5) throws -> (status: Int, body: Data) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LabError("socket: \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw LabError("connect to port \(port): errno \(errno)") }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        // MSG_NOSIGNAL: a server that closes first makes this fail with EPIPE instead of killing the test process.
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
            throw LabError("send failed")
        }
        var response = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { break }
            guard n > 0 else { throw LabError("recv failed or timed out: errno \(errno)") }
            response.append(contentsOf: chunk[0..<n])
        }
        guard let headerEnd = response.range(of: Data("\r\n\r\n".utf8)) else { throw LabError("no HTTP header") }
        let head = String(decoding: response[..<headerEnd.lowerBound], as: UTF8.self)
        let statusLine = head.split(separator: "\r\n").first ?? ""
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw LabError("bad status line \(statusLine)") }
        return (status, Data(response[headerEnd.upperBound...]))
    }
}
