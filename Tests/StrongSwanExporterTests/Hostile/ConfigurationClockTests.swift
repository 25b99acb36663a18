import PrometheusExpositionTesting
import Testing
@testable import StrongSwanExporter
import TestSupport
import VICI

extension HostileSuite {
    /// The poll loop against a scripted charon answering with the lab's captures: the configuration commands
    /// run on the first poll, then only when `get-conns` answers differently or after a reconnect; the state
    /// commands run every poll. Waits for events with generous deadlines; no wall-clock counting.
    @Suite(.timeLimit(.minutes(3))) struct ConfigurationClockTests {
        static func polls(_ agent: HostileAgent) async throws -> Double {
            try await agent.scrape().value("strongswan_exporter_polls_total", ["result": "success"]) ?? 0
        }

        @Test func configurationCommandsRunOnlyWhenTheLoadedConnectionsChangeOrCharonReconnects() async throws {
            try await HostileVICIPeerTests.withAgent(followEvents: false) { charon, agent in try await check(charon, agent) }
        }

        func check(_ charon: ScriptedCharon, _ agent: HostileAgent) async throws {
            try await agent.waitFor("five polls") { ($0.value("strongswan_exporter_polls_total", ["result": "success"]) ?? 0) >= 5 }
            let first = try await agent.scrape()
            #expect(first.value("strongswan_tunnel_up", ["conn": "site-0001", "child": "net-0001"]) == 1)
            #expect(first.samples(named: "strongswan_connection_info").count == 6)
            #expect(charon.commands("list-sas") >= 5)
            #expect(charon.commands("get-conns") >= 5, "the change probe runs every poll")
            for command in ["list-conns", "list-policies", "list-authorities", "version"] {
                #expect(charon.commands(command) == 1, "\(command) ran on the first poll only")
            }
            // list-certs runs twice per configuration run: the certs collector's listing, and the authorities
            // collector's look-up of the one authority's CA certificate.
            #expect(charon.commands("list-certs") == 2, "list-certs ran on the first poll only")

            // A connection is loaded: get-conns names it, and list-conns runs at once.
            var script = charon.script
            script.replies["get-conns"] = .response(VICIMessage([.init("conns", .list(
                ["rw", "site-0001", "site-0002", "site-0003", "site-dead", "site-new", "site-trap"].map { Array($0.utf8) }))]))
            charon.script = script
            let deadline = ContinuousClock.now + .seconds(60)
            // The whole configuration run: list-conns, list-certs, then list-authorities and its CA look-up (the
            // last command of the run) come one after another, not at once.
            while charon.commands("list-conns") < 2 || charon.commands("list-certs") < 4, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(charon.commands("list-conns") == 2, "list-conns after get-conns changed")
            #expect(charon.commands("list-certs") == 4)
            #expect(charon.commands("list-authorities") == 2)

            // Nothing changes for several polls: no more configuration commands.
            let polled = try await Self.polls(agent)
            try await agent.waitFor("three more polls") {
                ($0.value("strongswan_exporter_polls_total", ["result": "success"]) ?? 0) >= polled + 3
            }
            #expect(charon.commands("list-conns") == 2)

            // A reconnect (a restarted charon may have another configuration) runs them again.
            await charon.dropClients()
            while charon.commands("list-conns") < 3, ContinuousClock.now < deadline + .seconds(60) {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(charon.commands("list-conns") == 3, "list-conns after a reconnect")
            #expect(charon.commands("version") == 3)
        }
    }
}
