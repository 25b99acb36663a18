import ArgumentParser
import StrongSwanCollectors

/// The `--collector.NAME` / `--no-collector.NAME` switches, derived from ``CollectorCatalogue``: a new
/// collector gets its flag and its `--help` line without a change here.
///
/// ArgumentParser declares flags statically, so the switches are taken from the arguments it did not
/// recognize and checked here; anything else among them is an error.
enum CollectorSwitches {
    /// The `--help` text listing every collector with its default.
    static var help: String {
        let lines = CollectorCatalogue.all.map { collector in
            "  --[no-]collector.\(collector.name) (default: \(collector.enabledByDefault ? "on" : "off"))\n"
                + "        \(collector.summary)."
        }
        return "Collectors:\n" + lines.joined(separator: "\n")
    }

    /// The collectors enabled by the defaults and then `switches`, in order (the last switch of a name wins).
    /// Throws a ``ValidationError`` for an argument that is not a switch of a known collector.
    static func enabled(applying switches: [String]) throws -> Set<String> {
        var enabled = CollectorCatalogue.enabledByDefault
        let known = Set(CollectorCatalogue.names)
        for argument in switches {
            let on: Bool
            let name: Substring
            if argument.hasPrefix("--collector.") {
                on = true
                name = argument.dropFirst("--collector.".count)
            } else if argument.hasPrefix("--no-collector.") {
                on = false
                name = argument.dropFirst("--no-collector.".count)
            } else {
                throw ValidationError("unknown argument '\(argument)'")
            }
            guard known.contains(String(name)) else {
                throw ValidationError(
                    "unknown collector '\(name)' in '\(argument)'; collectors: \(CollectorCatalogue.names.joined(separator: ", "))")
            }
            if on { enabled.insert(String(name)) } else { enabled.remove(String(name)) }
        }
        return enabled
    }
}
