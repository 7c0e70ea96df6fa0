/// The in-memory log: entries after a compaction point. Shared by the stores and by recovery, so replaying
/// the write-ahead log makes exactly the decisions the store made when it wrote it.
struct LogState: Equatable {
    /// The index before the first entry: the compaction point (0 for a log that was never compacted).
    var baseIndex: UInt64 = 0
    /// The term at `baseIndex`; nil while replay has not yet learned it (older segments were removed).
    var baseTerm: UInt64? = 0
    /// The entries `baseIndex + 1 ... lastIndex`.
    var entries: [StoredEntry] = []
    var hardState = StoredHardState.initial
    /// The index of the newest snapshot recorded in the log, if any.
    var snapshotIndex: UInt64?

    var firstIndex: UInt64 { baseIndex + 1 }
    var lastIndex: UInt64 { baseIndex + UInt64(entries.count) }

    func term(at index: UInt64) -> UInt64? {
        if index == baseIndex { return baseTerm }
        guard index > baseIndex && index <= lastIndex else { return nil }
        return entries[Int(index - baseIndex - 1)].term
    }

    /// Whether the log holds `index` with `term` (the compaction point counts).
    func matches(index: UInt64, term: UInt64) -> Bool { self.term(at: index) == term }

    /// Appends `entry`, first dropping any entries at or after its index.
    mutating func append(_ entry: StoredEntry) {
        precondition(entry.index > baseIndex && entry.index <= lastIndex + 1,
            "entry \(entry.index) does not attach to the log \(baseIndex)+\(entries.count)")
        entries.removeSubrange(Int(entry.index - baseIndex - 1)...)
        entries.append(entry)
    }

    /// Records a saved snapshot; when the log does not hold it, the log is replaced by it.
    mutating func recordSnapshot(index: UInt64, term: UInt64, replacedLog: Bool) {
        snapshotIndex = index
        if replacedLog {
            baseIndex = index
            baseTerm = term
            entries.removeAll()
        }
    }

    /// Drops the entries up to and including `index`, whose term is `term`.
    mutating func compact(upTo index: UInt64, term: UInt64) {
        guard index > baseIndex else { return }
        entries.removeSubrange(..<min(entries.count, Int(index - baseIndex)))
        baseIndex = index
        baseTerm = term
    }
}

/// Rebuilds a `LogState` from the records of complete batches, checking that they make sense.
struct LogReplay {
    var state = LogState()
    /// Whether any record has been seen yet; the first entry of a log whose oldest segments were removed
    /// starts wherever it starts.
    private var started = false

    /// Applies one record; `path` and `offset` name it in errors.
    mutating func apply(_ record: WALRecord, path: String, offset: UInt64) throws {
        switch record {
        case .entry(let entry):
            if !started && state.entries.isEmpty && entry.index > 0 {
                state.baseIndex = entry.index - 1
                state.baseTerm = entry.index == 1 ? 0 : nil
            }
            guard entry.index > state.baseIndex && entry.index <= state.lastIndex + 1 else {
                throw StorageError.corrupt(path, at: offset,
                    "entry \(entry.index) does not attach to the log \(state.firstIndex)...\(state.lastIndex)")
            }
            state.append(entry)
        case .hardState(let hardState):
            state.hardState = hardState
            return
        case .snapshot(let index, let term, let replacedLog):
            state.recordSnapshot(index: index, term: term, replacedLog: replacedLog)
        case .compaction(let index, let term):
            state.compact(upTo: index, term: term)
        }
        started = true
    }
}
