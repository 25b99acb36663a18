import VICI

extension CharonScript {
    /// A small charon for protocol tests: `version` (charon 5.9.8 on Linux 6.1.0), `get-counters` (the global
    /// `ike-rekey-init` at 7), a `reset-counters` that fails (no counters plugin), `list-sas` streaming three
    /// established SAs `site-1`…`site-3`.
    public static var minimal: CharonScript {
        CharonScript(replies: [
            "version": .response(VICIMessage([
                .init("daemon", .value("charon")), .init("version", .value("5.9.8")),
                .init("sysname", .value("Linux")), .init("release", .value("6.1.0")), .init("machine", .value("x86_64")),
            ])),
            "get-counters": .response(VICIMessage([
                .init("counters", .section(VICIMessage([
                    .init("", .section(VICIMessage([.init("ike-rekey-init", .value("7"))]))),
                ]))),
                .init("success", .value("yes")),
            ])),
            "reset-counters": .response(VICIMessage([
                .init("success", .value("no")), .init("errmsg", .value("no counters available (plugin missing?)")),
            ])),
            "list-sas": .stream(event: "list-sa", events: (1...3).map { i in
                VICIMessage([.init("site-\(i)", .section(VICIMessage([
                    .init("uniqueid", .value("\(i)")), .init("state", .value("ESTABLISHED")),
                ])))])
            }, response: VICIMessage()),
        ])
    }
}
