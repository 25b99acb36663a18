import NIOCore
@testable import StrongSwanExporter
import VICI
import XCTest

/// Settings shared by `/metrics` and `/probe` are built once and reach both.
final class ExporterWiringTests: XCTestCase {
    func testProbeTargetsSubscribeWithTheMainSubscriptionsBound() throws {
        var configuration = ExporterConfiguration()
        configuration.viciTimeout = .milliseconds(750)
        configuration.probe.targets = ["unix:///run/other/charon.vici"]
        let app = ExporterApp(configuration: configuration)
        let probe = try XCTUnwrap(app.makeProbeConnectors().eventSettings)
        // The bound the agent's own subscription uses, and the one documented (not the library's 64 MiB).
        XCTAssertEqual(app.viciEvents.maxBufferedBytes, 16 * 1024 * 1024)
        XCTAssertEqual(probe.maxBufferedBytes, app.viciEvents.maxBufferedBytes)
        XCTAssertEqual(probe.connection.commandTimeout, .milliseconds(750))
        XCTAssertEqual(probe.connection.commandTimeout, app.viciConnection.commandTimeout)
        XCTAssertEqual(probe.connection.connectTimeout, app.viciConnection.connectTimeout)
    }

    func testProbeTargetsFollowNoEventsWhenEventsAreOff() {
        var configuration = ExporterConfiguration()
        configuration.followEvents = false
        let connectors = ExporterApp(configuration: configuration).makeProbeConnectors()
        XCTAssertNil(connectors.events)
        XCTAssertNil(connectors.eventSettings)
    }

    /// `--vici.timeout 500ms` is 500 ms on the connection, not 0 s (the sub-second part was dropped once).
    func testSubSecondCommandTimeoutIsKept() {
        var configuration = ExporterConfiguration()
        configuration.viciTimeout = .milliseconds(500)
        XCTAssertEqual(configuration.viciConnection.commandTimeout, .milliseconds(500))
        XCTAssertEqual(configuration.viciConnection.connectTimeout, .milliseconds(500))
        configuration.viciTimeout = .seconds(30)
        XCTAssertEqual(configuration.viciConnection.connectTimeout, .seconds(5))
    }

    func testDurationsThatOverflowAreRejected() {
        XCTAssertNil(DurationParser.parse("106751991167d106751991167d15h"))
        XCTAssertNil(DurationParser.parse("9223372036854775807ms1ms"))
        XCTAssertEqual(DurationParser.parse("1m30s"), .seconds(90))
        XCTAssertEqual(DurationParser.parse("500ms"), .milliseconds(500))
        XCTAssertEqual(DurationParser.parse("30d"), .seconds(30 * 86_400))
        XCTAssertNil(DurationParser.parse("30d1ms"), "more than 30 days")
    }
}
