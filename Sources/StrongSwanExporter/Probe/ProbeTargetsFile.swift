import ExporterHTTP
import VICI

/// The `--probe.targets-file` format: one target URI per line (`unix:///path` or `tcp://host:port`), blank
/// lines ignored, `#` starting a comment at the beginning of a line or after whitespace. Leading and trailing
/// spaces and tabs are trimmed.
///
/// ```
/// # gateways of site A
/// unix:///run/ns1/charon.vici
/// tcp://10.0.0.2:4502   # VICI over TCP, firewalled
/// ```
public enum ProbeTargetsFile {
    /// The largest file accepted (1 MiB).
    public static let maxBytes = 1 << 20

    /// Reads and parses the file at `path`.
    public static func load(path: String) throws(ProbeConfigurationError) -> [VICIEndpoint] {
        let bytes: [UInt8]
        do {
            bytes = try BoundedFile.readAll(path: path, maxBytes: maxBytes)
        } catch {
            throw ProbeConfigurationError("cannot read probe targets file \(error)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ProbeConfigurationError("probe targets file \(path): not valid UTF-8")
        }
        return try parse(text, path: path)
    }

    /// Parses the text of a targets file; `path` only names the file in errors. Fails on the first line that
    /// is not a valid target URI, naming the line.
    public static func parse(_ text: String, path: String) throws(ProbeConfigurationError) -> [VICIEndpoint] {
        var endpoints: [VICIEndpoint] = []
        var lineNumber = 0
        // "\r\n" is one Character in Swift: split on it as well as on "\n" and "\r".
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            lineNumber += 1
            let line = stripComment(rawLine).trimmingHTTPWhitespace()
            if line.isEmpty { continue }
            do {
                endpoints.append(try VICIEndpoint(parsing: String(line)))
            } catch {
                throw ProbeConfigurationError("probe targets file \(path), line \(lineNumber): \(error.message)")
            }
        }
        return endpoints
    }

    /// The line without its comment: from a `#` at the start or after a space or tab.
    static func stripComment(_ line: Substring) -> Substring {
        var previous: Character? = nil
        for index in line.indices {
            let character = line[index]
            if character == "#", previous == nil || previous == " " || previous == "\t" {
                return line[..<index]
            }
            previous = character
        }
        return line
    }
}
