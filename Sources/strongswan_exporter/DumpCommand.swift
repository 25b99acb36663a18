import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import StrongSwanExporter

/// `dump`: one poll, the exposition on stdout (for node_exporter's textfile collector or a quick look).
struct DumpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Poll charon once and print the exposition on stdout (exit status 1 if charon was unreachable).",
        discussion: CollectorSwitches.help)

    @OptionGroup var common: CommonOptions

    func run() async throws {
        common.bootstrapLogging()
        var configuration = ExporterConfiguration()
        try common.apply(to: &configuration)
        let (bytes, up) = await ExporterApp(configuration: configuration).dumpOnce()
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in write(1, raw.baseAddress.map { $0 + offset }, bytes.count - offset) }
            if written <= 0 { break }
            offset += written
        }
        if !up { throw ExitCode(1) }
    }
}
