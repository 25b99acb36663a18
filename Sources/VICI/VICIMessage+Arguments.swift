extension VICIMessage {
    /// Builds a request message from command-line style `key=value` arguments.
    ///
    /// - `key=value` sets a value (everything after the first `=` is the value, which may be empty);
    /// - `a.b.key=value` sets `key` inside section `b` inside section `a` (sections are created as needed);
    /// - repeating a key (`ts=10.0.0.0/8 ts=10.1.0.0/16`) makes a list; `key[]=value` makes a list even of
    ///   one item.
    ///
    /// Order is preserved. Fails with ``VICIError/Code/invalidValue`` for an argument without `=`,
    /// ``VICIError/Code/invalidName`` for an empty name component, ``VICIError/Code/nameTooLong`` for a
    /// component over 255 bytes and ``VICIError/Code/duplicateKey`` when a name is used both as a section
    /// and as a value or list.
    public init(arguments: [String]) throws(VICIError) {
        self.init()
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "=") else {
                throw VICIError(.invalidValue, "argument '\(argument)' is not of the form key=value")
            }
            var key = Substring(argument[..<equals])
            let value = Array(argument[argument.index(after: equals)...].utf8)
            var forceList = false
            if key.hasSuffix("[]") {
                forceList = true
                key = key.dropLast(2)
            }
            let path = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            for component in path {
                guard !component.isEmpty else {
                    throw VICIError(.invalidName, "argument '\(argument)' has an empty name component")
                }
                guard component.utf8.count <= 255 else {
                    throw VICIError(.nameTooLong, "argument '\(argument)' has a name component over 255 bytes")
                }
            }
            try VICIMessage.insert(value, at: path[...], forceList: forceList, into: &self, argument: argument)
        }
    }

    private static func insert(_ value: [UInt8], at path: ArraySlice<String>, forceList: Bool,
                               into message: inout VICIMessage, argument: String) throws(VICIError) {
        guard let name = path.first else { return }
        if path.count == 1 {
            switch message[name] {
            case nil:
                message[name] = forceList ? .list([value]) : .value(value)
            case .value(let existing)?:
                message[name] = .list([existing, value])
            case .list(let items)?:
                message[name] = .list(items + [value])
            case .section?:
                throw VICIError(.duplicateKey, "argument '\(argument)': '\(name)' is already a section")
            }
            return
        }
        var section: VICIMessage
        switch message[name] {
        case nil:
            section = VICIMessage()
        case .section(let existing)?:
            section = existing
        case .value?, .list?:
            throw VICIError(.duplicateKey, "argument '\(argument)': '\(name)' is already a value")
        }
        try insert(value, at: path.dropFirst(), forceList: forceList, into: &section, argument: argument)
        message[name] = .section(section)
    }
}
