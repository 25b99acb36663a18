import Foundation

/// Where the captured fixtures live, relative to the package root (the directory holding `Package.swift`).
public struct FixturePaths: Sendable {
    /// The package root.
    public let root: String

    /// Uses `root`, or else the first directory upwards from the working directory that holds `Package.swift`.
    public init(root: String? = nil) {
        if let root {
            self.root = root
            return
        }
        var directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) { break }
            directory.deleteLastPathComponent()
        }
        self.root = directory.path
    }

    /// 60 `list-sa` EVENT frames (50 site-to-site tunnels, 10 road warriors) and the CMD_RESPONSE of a
    /// `list-sas` on the lab gateway.
    public var listSAsStream: String { root + "/Tests/VICITests/Fixtures/list-sas-stream.bin" }
    /// The `list-conn` event of a site-to-site connection.
    public var listConnSite: String { root + "/Tests/VICITests/Fixtures/list-conn-event-site.frame" }
    /// The `list-conn` event of the road-warrior connection.
    public var listConnRW: String { root + "/Tests/VICITests/Fixtures/list-conn-event-rw.frame" }
    /// A whole command exchange captured by `strongswan_exporter vici --save` on the lab (`stats`, `version`, …).
    public func lab(_ name: String) -> String { labDirectory + "/\(name).vici" }
    /// The directory of the lab's command exchanges.
    public var labDirectory: String { root + "/Tests/StrongSwanCollectorsTests/Fixtures/lab" }
}
