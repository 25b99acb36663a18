#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads small files (configs, PEM files, target lists) whole, refusing anything larger than a limit.
public enum BoundedFile {
    /// Why a file could not be read.
    public struct ReadError: Error, CustomStringConvertible {
        /// The path that was asked for.
        public var path: String
        /// What went wrong (the `strerror` text, "not a regular file", or the size limit).
        public var reason: String
        /// `path: reason`.
        public var description: String { "\(self.path): \(self.reason)" }
    }

    /// The default limit: 1 MiB, far above any PEM bundle or web config.
    public static let defaultMaxBytes = 1 << 20

    /// Reads the regular file at `path`, which must be at most `maxBytes` long.
    ///
    /// - Throws: ``ReadError`` when the file cannot be opened or read, is not a regular file, or is larger.
    public static func readAll(path: String, maxBytes: Int = defaultMaxBytes) throws(ReadError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ReadError(path: path, reason: Self.errnoText())
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw ReadError(path: path, reason: Self.errnoText())
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw ReadError(path: path, reason: "not a regular file")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { buffer in
                read(descriptor, buffer.baseAddress, buffer.count)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw ReadError(path: path, reason: Self.errnoText())
            }
            if count == 0 { break }
            guard bytes.count + count <= maxBytes else {
                throw ReadError(path: path, reason: "larger than \(maxBytes) bytes")
            }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }

    private static func errnoText() -> String {
        let code = errno
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
