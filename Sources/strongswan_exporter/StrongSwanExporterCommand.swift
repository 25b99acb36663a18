import ArgumentParser
import StrongSwanExporter

/// `strongswan_exporter`: a Prometheus exporter for strongSwan's charon over VICI.
@main
struct StrongSwanExporterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strongswan_exporter",
        abstract: "Prometheus exporter for the strongSwan IKE daemon (charon), over VICI.",
        discussion: """
            Polls charon in the background (version, stats, list-sas, list-conns, get-counters, get-pools, \
            list-certs), follows its events between polls, and serves the pre-rendered exposition on \
            --web.telemetry-path. Scrapes never query charon.
            """,
        version: ExporterVersion.current,
        subcommands: [RunCommand.self, DumpCommand.self, VICICommand.self],
        defaultSubcommand: RunCommand.self
    )
}
