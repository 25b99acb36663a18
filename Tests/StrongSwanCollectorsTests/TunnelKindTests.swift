import StrongSwanCollectors
import XCTest

/// ``TunnelKind`` classification (compared as bytes, without Foundation's string search).
final class TunnelKindTests: XCTestCase {
    private func kind(remote: [String], startAction: String, trapInstalled: Bool = false) -> TunnelKind {
        var conn = ConnectionConfig(name: "c")
        conn.remoteAddrs = remote
        var child = ChildConfig(name: "t")
        child.startAction = startAction
        child.trapInstalled = trapInstalled
        return TunnelKind(connection: conn, child: child)
    }

    func testStartActionNamingTrapInAnyCaseIsATrap() {
        XCTAssertEqual(kind(remote: ["192.0.2.1"], startAction: "trap"), .trap)
        XCTAssertEqual(kind(remote: ["192.0.2.1"], startAction: "TRAP|start"), .trap)
        XCTAssertEqual(kind(remote: ["192.0.2.1"], startAction: "start|Trap"), .trap)
        XCTAssertEqual(kind(remote: ["192.0.2.1"], startAction: "none", trapInstalled: true), .trap)
    }

    func testOtherStartActionsAreNoTrap() {
        for action in ["", "tra", "none", "start", "trp", "tr ap"] {
            XCTAssertEqual(kind(remote: ["192.0.2.1"], startAction: action), .siteToSite, action)
        }
    }

    func testResponderOnlyRemotes() {
        XCTAssertEqual(kind(remote: [], startAction: "none"), .responder)
        XCTAssertEqual(kind(remote: ["%any"], startAction: "none"), .responder)
        XCTAssertEqual(kind(remote: ["%any4", "%any6"], startAction: "none"), .responder)
        XCTAssertEqual(kind(remote: ["10.0.0.0/8"], startAction: "none"), .responder)
        XCTAssertEqual(kind(remote: ["10.0.0.1-10.0.0.9"], startAction: "none"), .responder)
        XCTAssertEqual(kind(remote: ["%any", "gw.example.org"], startAction: "none"), .siteToSite)
        XCTAssertEqual(kind(remote: ["2001:db8::1"], startAction: "start"), .siteToSite)
    }
}
