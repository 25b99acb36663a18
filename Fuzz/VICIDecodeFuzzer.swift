// libFuzzer target: VICI framing and decoding, as the exporter does it on bytes from charon's socket.
//
// Built by scripts/fuzz.sh together with the VICI sources it exercises (so they are instrumented):
// VICIFrameDecoder.nextFrame splits the input into frames, VICIPacket.decode decodes each with the default
// options, and VICIMessage(decoding:) decodes the whole input as a message. Properties checked (a violation
// traps, which libFuzzer reports as a crash):
// - nothing traps, overflows or reads out of bounds on any input (AddressSanitizer);
// - an error's byte offset lies within the bytes decoded;
// - whatever decodes re-encodes to exactly the same bytes (the wire format has one encoding per message) and
//   decodes back to an equal value; its descriptions (swanctl-like raw and pretty) render.
import NIOCore

@inline(never)
func check(_ condition: Bool, _ what: @autoclosure () -> String) {
    if !condition {
        print("property violated: \(what())")
        fatalError(what())
    }
}

func checkOffset(_ error: VICIError, within count: Int) {
    if let offset = error.offset { check(offset >= 0 && offset <= count, "offset \(offset) outside \(count) bytes: \(error)") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVICI(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let options = VICICodingOptions()

    // 1. The input as a byte stream of frames.
    var stream = ByteBuffer(bytes: bytes)
    let decoder = VICIFrameDecoder()
    while true {
        let frame: ByteBuffer?
        do {
            frame = try decoder.nextFrame(from: &stream)
        } catch {
            check(error.code == .frameTooLarge, "nextFrame failed with \(error)")
            break
        }
        guard let frame else { break }
        let packet: VICIPacket
        do {
            packet = try VICIPacket.decode(frame, options: options)
        } catch {
            checkOffset(error, within: frame.readableBytes)
            continue
        }
        var encoded = ByteBuffer()
        do {
            try packet.encode(into: &encoded, options: options)
        } catch {
            check(false, "decoded packet does not encode: \(error)")
        }
        check(encoded.readableBytesView.elementsEqual(frame.readableBytesView), "packet re-encodes differently")
        check((try? VICIPacket.decode(encoded, options: options)) == packet, "re-encoded packet decodes differently")
        if let message = packet.message {
            _ = message.rawDescription(label: packet.name)
            _ = message.prettyDescription(label: packet.name)
        }
    }

    // 2. The input as one message.
    do {
        let message = try VICIMessage(decoding: bytes, options: options)
        var encoded = ByteBuffer()
        do {
            try message.encode(into: &encoded, options: options)
        } catch {
            check(false, "decoded message does not encode: \(error)")
        }
        check(encoded.readableBytesView.elementsEqual(bytes), "message re-encodes differently")
        let viaBuffer = try? VICIMessage(decoding: ByteBuffer(bytes: bytes), options: options)
        check(viaBuffer == message, "ByteBuffer and [UInt8] decoding differ")
    } catch {
        checkOffset(error, within: bytes.count)
    }
    return 0
}
