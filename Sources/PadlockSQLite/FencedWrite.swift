import GRDB
import PadlockTypes

/// What became of one fenced write.
///
/// Refusals are expected outcomes, not failures: a `.rejected` write means the lock that carried the fence was
/// superseded, and the caller must stop writing under it (reacquire, reread, and let the user decide).
public enum FencedWrite: Equatable, Sendable {
    /// The stored fence was not newer than the caller's: the values and the caller's fence were written.
    case applied
    /// The record carries a newer fence than the caller's; nothing was written. `stored` is that fence
    /// (with covered field fences, the newest of them).
    case rejected(stored: FenceToken)
    /// No record has the key; nothing was written. (``FencedRecords/upsert(_:key:fence:values:)`` creates it.)
    case missing

    /// Whether the write took effect.
    public var isApplied: Bool { self == .applied }
}

/// One record as ``FencedRecords/read(_:key:)`` returns it: its columns and the fence it was last written with.
public struct FencedRecord {
    /// The fence of the last fenced write, or nil when the record was never written under a lock (a row that
    /// predates the fence column, or one written without the helper).
    public var fence: FenceToken?
    /// Every column of the record, the key and fence columns included.
    public var row: Row

    /// Creates a record.
    public init(fence: FenceToken?, row: Row) {
        self.fence = fence
        self.row = row
    }
}
