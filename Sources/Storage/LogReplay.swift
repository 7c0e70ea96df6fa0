/// What a `LogState` keeps for each entry: at least its term, which every decision about the log needs.
package protocol LogSlot: Equatable {
    /// The term of the entry.
    var term: UInt64 { get }
}

extension StoredEntry: LogSlot {}

/// The log's bookkeeping: the entries after a compaction point, each as a `Slot` (the whole entry in
/// `MemoryLogStore`, only its term and place on disk in `FileLogStore`). Shared by the stores and by
/// recovery, so replaying the write-ahead log makes exactly the decisions the store made when it wrote it.
package struct LogState<Slot: LogSlot>: Equatable {
    package init() {}

    /// The index before the first entry: the compaction point (0 for a log that was never compacted).
    package var baseIndex: UInt64 = 0
    /// The term at `baseIndex`; nil while replay has not yet learned it (older segments were removed).
    package var baseTerm: UInt64? = 0
    /// The slots of the entries `baseIndex + 1 ... lastIndex`.
    package var slots: [Slot] = []
    package var hardState = StoredHardState.initial
    /// The index and term of the newest snapshot recorded in the log, if any.
    package var snapshotIndex: UInt64?
    package var snapshotTerm: UInt64?

    package var firstIndex: UInt64 { baseIndex + 1 }
    package var lastIndex: UInt64 { baseIndex + UInt64(slots.count) }

    package func term(at index: UInt64) -> UInt64? {
        if index == baseIndex { return baseTerm }
        return slot(at: index)?.term
    }

    /// The slot of the entry at `index`, or nil when the log does not hold it.
    package func slot(at index: UInt64) -> Slot? {
        guard index > baseIndex && index <= lastIndex else { return nil }
        return slots[Int(index - baseIndex - 1)]
    }

    /// Whether the log holds `index` with `term` (the compaction point counts).
    package func matches(index: UInt64, term: UInt64) -> Bool { self.term(at: index) == term }

    /// Appends the entry at `index`, first dropping any entries at or after that index.
    package mutating func append(_ slot: Slot, at index: UInt64) {
        precondition(
            index > baseIndex && index <= lastIndex + 1,
            "entry \(index) does not attach to the log \(baseIndex)+\(slots.count)")
        slots.removeSubrange(Int(index - baseIndex - 1)...)
        slots.append(slot)
    }

    /// Records a saved snapshot; when the log does not hold it, the log is replaced by it.
    package mutating func recordSnapshot(index: UInt64, term: UInt64, replacedLog: Bool) {
        snapshotIndex = index
        snapshotTerm = term
        if replacedLog {
            baseIndex = index
            baseTerm = term
            slots.removeAll()
        }
    }

    /// Drops the entries up to and including `index`, whose term is `term`.
    package mutating func compact(upTo index: UInt64, term: UInt64) {
        guard index > baseIndex else { return }
        slots.removeSubrange(..<min(slots.count, Int(index - baseIndex)))
        baseIndex = index
        baseTerm = term
    }
}

extension LogState where Slot == StoredEntry {
    /// The entries `firstIndex...lastIndex`.
    package var entries: [StoredEntry] { slots }

    /// Appends `entry`, first dropping any entries at or after its index.
    package mutating func append(_ entry: StoredEntry) { append(entry, at: entry.index) }
}

/// All a `FileLogStore` keeps in memory for one entry of its log (16 bytes): its term, and where its record
/// lies, so the entry can be read back from disk when asked for.
struct EntryLocation: LogSlot {
    var term: UInt64
    /// The sequence number of the segment that holds the record.
    var segment: UInt32
    /// The offset of the record in that segment.
    var offset: UInt32
}

/// Rebuilds a `LogState` from the records of complete batches, checking that they make sense.
///
/// Compaction removes the oldest segments, so the entries a later segment's records build on may be gone.
/// That is fine for entries the log is later compacted past: `horizon` is the highest compaction point
/// recorded anywhere in the log, and an entry at or below `horizon + 1` that does not attach starts the
/// known part of the log again, with its start unknown until a compaction record fixes it. Any other entry
/// that does not attach is corruption.
struct LogReplay {
    var state = LogState<EntryLocation>()
    let horizon: UInt64

    /// The highest compaction point (or replacing snapshot) among `records`.
    static func horizon(of records: [WALRecord]) -> UInt64 {
        records.reduce(0) { highest, record in
            switch record {
            case .compaction(let index, _): max(highest, index)
            case .snapshot(let index, _, true): max(highest, index)
            default: highest
            }
        }
    }

    /// Applies one record of segment `segment`; `path` and `offset` name it in errors.
    mutating func apply(_ record: WALRecord, segment: UInt32, path: String, offset: UInt64) throws {
        switch record {
        case .entry(let index, let term, let recordOffset):
            if index <= state.baseIndex || index > state.lastIndex + 1 {
                guard index >= 1 && index <= horizon + 1 else {
                    throw StorageError.corrupt(
                        path, at: offset,
                        "entry \(index) does not attach to the log \(state.firstIndex)...\(state.lastIndex)")
                }
                state.slots.removeAll()
                state.baseIndex = index - 1
                state.baseTerm = index == 1 ? 0 : nil
            }
            state.append(EntryLocation(term: term, segment: segment, offset: recordOffset), at: index)
        case .hardState(let hardState):
            state.hardState = hardState
        case .snapshot(let index, let term, let replacedLog):
            state.recordSnapshot(index: index, term: term, replacedLog: replacedLog)
        case .compaction(let index, let term):
            if state.baseTerm == nil && index == state.baseIndex { state.baseTerm = term }
            state.compact(upTo: index, term: term)
        }
    }
}
