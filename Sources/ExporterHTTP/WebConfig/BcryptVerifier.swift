import CCrypt

/// Runs bcrypt one hash at a time, so a flood of wrong passwords costs at most one CPU core.
///
/// Each check takes tens of milliseconds (cost 10) on the calling cooperative thread; the actor makes callers
/// wait their turn without blocking threads. The `crypt_data` scratch area (32 KiB) is allocated once.
actor BcryptVerifier {
    /// Owns the `crypt_data` area and frees it with the actor.
    private final class Scratch {
        let pointer = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        deinit { self.pointer.deallocate() }
    }

    private let scratch = Scratch()

    /// Whether `password` matches `hash`.
    func verify(password: [UInt8], hash: BcryptHash) -> Bool {
        hash.matches(password: password, scratch: self.scratch.pointer)
    }

    /// Spends the time of one bcrypt of `password` with `setting` (a salt and cost) and returns nothing:
    /// used for unknown users so that their failures take as long as wrong passwords.
    func spendDecoyTime(password: [UInt8], setting: String) {
        _ = BcryptHash.crypt(password: password, setting: setting, scratch: self.scratch.pointer)
    }
}
