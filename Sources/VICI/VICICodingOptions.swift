/// Limits and strictness switches for encoding and decoding frames, packets and messages.
///
/// The defaults follow the protocol description with one documented exception: element names may be empty,
/// because charon itself sends an empty section name for the global counters in the `get-counters` response
/// (`counters = { "" = { ike-init-rcvd = … } }`).
public struct VICICodingOptions: Sendable, Hashable {
    /// The protocol's maximum transport frame length: 512 KiB of data, not counting the 4-byte length prefix.
    public static let defaultMaxFrameLength = 512 * 1024

    /// The largest frame (packet) length accepted or produced, in bytes, not counting the length prefix.
    /// A length prefix above this is rejected with ``VICIError/Code/frameTooLarge`` before any buffer is
    /// allocated; an encoded packet above this fails with ``VICIError/Code/messageTooLarge``.
    public var maxFrameLength: Int

    /// The deepest nesting of sections accepted or produced (the root section is depth 0). Deeper input fails
    /// with ``VICIError/Code/depthLimitExceeded``. Bounding depth also bounds the recursion of `==`, `hash`
    /// and deinitialisation of decoded trees.
    public var maxDepth: Int

    /// Whether an element name may be empty (0 bytes). `true` by default because charon's `get-counters`
    /// answer contains a section named `""`. When `false`, empty names fail with
    /// ``VICIError/Code/invalidName``. Packet names (commands, events) must never be empty.
    public var allowEmptyNames: Bool

    /// Whether a name appearing twice in one section is an error (``VICIError/Code/duplicateKey``), as the
    /// protocol requires. Note that charon's `get-algorithms` answer violates this rule (one key per
    /// algorithm and plugin); set this to `false` to decode it (the typed accessors then see the first one).
    public var rejectDuplicateKeys: Bool

    /// Creates options; every parameter defaults to the protocol's limits.
    public init(
        maxFrameLength: Int = VICICodingOptions.defaultMaxFrameLength,
        maxDepth: Int = 64,
        allowEmptyNames: Bool = true,
        rejectDuplicateKeys: Bool = true
    ) {
        self.maxFrameLength = maxFrameLength
        self.maxDepth = maxDepth
        self.allowEmptyNames = allowEmptyNames
        self.rejectDuplicateKeys = rejectDuplicateKeys
    }
}
