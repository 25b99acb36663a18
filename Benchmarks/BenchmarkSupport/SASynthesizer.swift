import VICI

/// Makes any number of distinct `list-sa` messages out of real ones captured from the lab's charon.
///
/// The gateway it plays is a hub and concentrator: the first ``siteCount`` SAs are site-to-site tunnels,
/// each with its own connection `site-NNNNNN` (child `net-NNNNNN`, its own identities), copied from the
/// captured site-to-site SAs in turn; all further SAs are road warriors on the one shared connection `rw`,
/// copied from the captured road warriors in turn, each with its own remote identity. SA `i` (0-based) has
/// unique id `i + 1`; CHILD_SAs get unique ids, reqids and SPIs. Everything else (algorithms, counters,
/// timers, traffic selectors, virtual IPs) stays as charon sent it, so the messages have the real shape and
/// size.
public struct SASynthesizer: Sendable {
    /// The connection name road-warrior templates carry (kept, shared by all their copies).
    public static let roadWarriorConnection = "rw"

    /// The captured site-to-site `list-sa` messages (one IKE_SA each).
    public let siteTemplates: [VICIMessage]
    /// The captured road-warrior `list-sa` messages.
    public let roadWarriorTemplates: [VICIMessage]
    /// How many SAs (the first ones) are site-to-site tunnels.
    public let siteCount: Int

    /// - Parameters:
    ///   - templates: captured `list-sa` event messages, site-to-site and road warriors (connection `rw`);
    ///     there must be at least one of each.
    ///   - siteCount: how many of the SAs are site-to-site tunnels (the rest are road warriors).
    public init(templates: [VICIMessage], siteCount: Int) throws {
        siteTemplates = templates.filter { $0.sections.first?.name != Self.roadWarriorConnection }
        roadWarriorTemplates = templates.filter { $0.sections.first?.name == Self.roadWarriorConnection }
        guard !siteTemplates.isEmpty, !roadWarriorTemplates.isEmpty else {
            throw CapturedFrames.LoadError(description: "need site-to-site and road-warrior list-sa templates")
        }
        self.siteCount = max(0, siteCount)
    }

    /// Loads the templates from the lab capture at `paths.listSAsStream`.
    public init(paths: FixturePaths, siteCount: Int) throws {
        try self.init(templates: CapturedFrames.events(named: "list-sa", at: paths.listSAsStream), siteCount: siteCount)
    }

    /// The connection name of site-to-site SA `index`.
    public static func siteName(_ index: Int) -> String { "site-" + padded(index + 1) }

    /// Whether SA `index` is a road warrior (and belongs to ``roadWarriorConnection``).
    public func isRoadWarrior(_ index: Int) -> Bool { index >= siteCount }

    /// The `list-sa` message of SA `index`.
    public func message(_ index: Int) -> VICIMessage {
        let template = isRoadWarrior(index)
            ? roadWarriorTemplates[(index - siteCount) % roadWarriorTemplates.count]
            : siteTemplates[index % siteTemplates.count]
        guard let (templateName, templateSA) = template.sections.first else { return template }
        let number = index + 1
        let roadWarrior = templateName == Self.roadWarriorConnection
        let name = roadWarrior ? templateName : Self.siteName(index)
        var sa = templateSA
        sa["uniqueid"] = .value(String(number))
        if roadWarrior {
            sa["remote-id"] = .value("rw-\(Self.padded(number)).lab.test")
            sa["remote-eap-id"] = sa["remote-eap-id"].map { _ in .value("rw-\(Self.padded(number))") }
        } else {
            sa["local-id"] = .value("\(name).gw.lab.test")
            sa["remote-id"] = .value("\(name).peer.lab.test")
        }
        sa["initiator-spi"] = .value(Self.hex(UInt64(number), digits: 16))
        sa["responder-spi"] = .value(Self.hex(UInt64(number) &* 0x9E37_79B9, digits: 16))
        if let children = sa.section("child-sas") {
            var renamed = VICIMessage()
            for (offset, (_, child)) in children.sections.enumerated() {
                var child = child
                let childNumber = number * 4 + offset
                let childName = roadWarrior ? (child.string("name") ?? "child") : "net-" + Self.padded(number)
                child["name"] = .value(childName)
                child["uniqueid"] = .value(String(childNumber))
                child["reqid"] = .value(String(childNumber))
                child["spi-in"] = .value(Self.hex(UInt64(childNumber) | 0xc000_0000, digits: 8))
                child["spi-out"] = .value(Self.hex(UInt64(childNumber) | 0x8000_0000, digits: 8))
                renamed.entries.append(.init("\(childName)-\(childNumber)", .section(child)))
            }
            sa["child-sas"] = .section(renamed)
        }
        return VICIMessage([.init(name, .section(sa))])
    }

    /// The first `count` messages.
    public func messages(_ count: Int) -> [VICIMessage] {
        (0..<count).map(message)
    }

    static func padded(_ number: Int) -> String {
        let digits = String(number)
        return digits.count >= 6 ? digits : String(repeating: "0", count: 6 - digits.count) + digits
    }

    static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16)
        return text.count >= digits ? text : String(repeating: "0", count: digits - text.count) + text
    }
}
