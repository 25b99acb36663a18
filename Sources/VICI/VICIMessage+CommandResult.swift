extension VICIMessage {
    /// Throws ``VICIError/Code/commandFailed`` with the `errmsg` value if this response says `success = no`;
    /// does nothing for responses that succeed or have no `success` key (e.g. `version`, `stats`).
    public func checkSuccess() throws(VICIError) {
        guard let success = bytes("success"), success.elementsEqual("no".utf8) else { return }
        throw VICIError(.commandFailed, string("errmsg") ?? "the daemon reported failure without an error message")
    }
}
