import GRDB
import PadlockTypes

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
