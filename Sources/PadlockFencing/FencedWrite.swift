import PadlockTypes

/// What became of one fenced write, in every store helper (`PadlockSQLite`, `PadlockPostgres`).
///
/// Refusals are expected outcomes, not failures: a `.rejected` write means the lock that carried the fence was
/// superseded, and the caller must stop writing under it (reacquire, reread, and let the user decide).
public enum FencedWrite: Equatable, Sendable {
    /// The stored fence was not newer than the caller's: the values and the caller's fence were written.
    case applied
    /// The record carries a newer fence than the caller's; nothing was written. `stored` is that fence
    /// (with covered field fences, the newest of them).
    case rejected(stored: FenceToken)
    /// No record has the key; nothing was written. (An upsert creates the record instead, so it never answers
    /// `.missing`.)
    case missing

    /// Whether the write took effect.
    public var isApplied: Bool { self == .applied }
}

/// Which name an invalid-identifier error is about, in every store helper's error type.
public enum FencingNameRole: String, Hashable, Sendable {
    case table
    case keyColumn = "key column"
    case fenceColumn = "fence column"
    case column
}
