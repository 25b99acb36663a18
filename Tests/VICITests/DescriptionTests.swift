import Testing
@testable import VICI

@Suite("Debug printer and argument parsing")
struct DescriptionTests {
    static let message = VICIMessage([
        .init("key1", .value("value1")),
        .init("section1", .section(VICIMessage([
            .init("sub-section", .section(VICIMessage([.init("key2", .value("value2"))]))),
            .init("list1", .list(["item1", "item2"])),
        ]))),
        .init("empty", .section(VICIMessage())),
        .init("none", .list([[UInt8]]())),
        .init("blank", .value([UInt8]())),
        .init("der", .value([0x30, 0x82, 0x01, 0x0A])),
        .init("text", .value("a b")),
    ])

    @Test func rawLikeSwanctl() {
        #expect(Self.message.rawDescription(label: "list-sa event") ==
            "list-sa event {key1=value1 section1 {sub-section {key2=value2} list1=[item1 item2]} empty {} none=[] blank= der=0x3082010a text=a b}")
        #expect(VICIMessage().rawDescription(label: "list-sas reply") == "list-sas reply {}")
        #expect(VICIMessage([.init("k", .value("v"))]).description == "{k=v}")
    }

    @Test func prettyLikeSwanctl() {
        #expect(Self.message.prettyDescription(label: "stats reply") == """
            stats reply {
              key1 = value1
              section1 {
                sub-section {
                  key2 = value2
                }
                list1 = [
                  item1
                  item2
                ]
              }
              empty {
              }
              none = [
              ]
              blank = 
              der = 0x3082010a
              text = a b
            }

            """)
    }

    @Test func nonASCIIAndControlBytesAreHex() {
        #expect(VICIMessage.renderValue(Array("é".utf8)) == "0xc3a9")
        #expect(VICIMessage.renderValue([0x41, 0x0A]) == "0x410a")
        #expect(VICIMessage.renderValue([0x7F]) == "0x7f")
        #expect(VICIMessage.renderValue(Array("~ !".utf8)) == "~ !")
    }

    @Test func parsesArguments() throws {
        let message = try VICIMessage(arguments: [
            "ike=site-1", "noblock=", "a.b.c=deep", "a.x=1", "ts=10.0.0.0/8", "ts=10.1.0.0/16", "ts=10.2.0.0/16",
            "one[]=only", "url=http://x/?a=b",
        ])
        #expect(message == VICIMessage([
            .init("ike", .value("site-1")),
            .init("noblock", .value("")),
            .init("a", .section(VICIMessage([
                .init("b", .section(VICIMessage([.init("c", .value("deep"))]))),
                .init("x", .value("1")),
            ]))),
            .init("ts", .list(["10.0.0.0/8", "10.1.0.0/16", "10.2.0.0/16"])),
            .init("one", .list(["only"])),
            .init("url", .value("http://x/?a=b")),
        ]))
        #expect(try VICIMessage(arguments: []) == VICIMessage())
    }

    @Test func rejectsBadArguments() {
        expectVICIError(.invalidValue) { _ = try VICIMessage(arguments: ["ike"]) }
        expectVICIError(.invalidName) { _ = try VICIMessage(arguments: ["=x"]) }
        expectVICIError(.invalidName) { _ = try VICIMessage(arguments: ["a..b=x"]) }
        expectVICIError(.invalidName) { _ = try VICIMessage(arguments: ["a.=x"]) }
        expectVICIError(.nameTooLong) { _ = try VICIMessage(arguments: [String(repeating: "k", count: 256) + "=x"]) }
        expectVICIError(.duplicateKey) { _ = try VICIMessage(arguments: ["a=1", "a.b=2"]) }
        expectVICIError(.duplicateKey) { _ = try VICIMessage(arguments: ["a.b=2", "a=1"]) }
    }
}
