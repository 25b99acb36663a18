import VICI

extension CharonScript {
    /// charon as the lab captured it: every captured command answered with its capture, the events charon
    /// knows confirmed, anything else CMD_UNKNOWN.
    public static func lab(directory: String = LabCaptures.directory) throws -> CharonScript {
        CharonScript(replies: try LabCaptures.replies(in: directory))
    }
}
