import VICI

/// Makes the `list-conn` messages that match ``SASynthesizer``'s SAs: one site-to-site connection
/// `site-NNNNNN` (child `net-NNNNNN`) per site-to-site SA, and the road-warrior connection once, each a
/// rewritten copy of a connection captured from the lab's charon.
public struct ConnSynthesizer: Sendable {
    /// The captured site-to-site connection (one section).
    public let site: VICIMessage
    /// The captured road-warrior connection (one section).
    public let roadWarrior: VICIMessage

    public init(site: VICIMessage, roadWarrior: VICIMessage) {
        self.site = site
        self.roadWarrior = roadWarrior
    }

    /// Loads both templates from the lab captures named in `paths`.
    public init(paths: FixturePaths) throws {
        guard let site = try CapturedFrames.events(named: "list-conn", at: paths.listConnSite).first,
              let roadWarrior = try CapturedFrames.events(named: "list-conn", at: paths.listConnRW).first
        else { throw CapturedFrames.LoadError(description: "no list-conn templates") }
        self.init(site: site, roadWarrior: roadWarrior)
    }

    /// The `list-conn` messages for the first `count` SAs of `sas`.
    public func messages(forSAs count: Int, of sas: SASynthesizer) -> [VICIMessage] {
        var messages: [VICIMessage] = []
        var roadWarriors = false
        for index in 0..<count {
            if sas.isRoadWarrior(index) {
                roadWarriors = true
                continue
            }
            messages.append(siteConnection(index))
        }
        if roadWarriors { messages.append(roadWarrior) }
        return messages
    }

    /// The site-to-site connection of SA `index`.
    public func siteConnection(_ index: Int) -> VICIMessage {
        guard let (_, template) = site.sections.first else { return site }
        let name = SASynthesizer.siteName(index)
        let number = name.dropFirst("site-".count)
        var conn = template
        if var local = conn.section("local-1") {
            local["id"] = .value("\(name).gw.lab.test")
            conn["local-1"] = .section(local)
        }
        if var remote = conn.section("remote-1") {
            remote["id"] = .value("\(name).peer.lab.test")
            conn["remote-1"] = .section(remote)
        }
        if let children = conn.section("children"), let (_, child) = children.sections.first {
            conn["children"] = .section(VICIMessage([.init("net-\(number)", .section(child))]))
        }
        return VICIMessage([.init(name, .section(conn))])
    }
}
