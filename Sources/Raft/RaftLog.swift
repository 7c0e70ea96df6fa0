import PadlockTypes

/// The uncompacted suffix of the log, kept in memory so the core never reads storage.
///
/// Indexes: `snapshot.index < entries... <= lastIndex`; `applied <= committed <= lastIndex`;
/// `persisted <= lastIndex` is the highest index acknowledged durable through `advance`.
struct RaftLog {
    /// The latest snapshot: the compaction point. Its bytes are what the leader sends to laggards.
    private(set) var snapshot: Snapshot
    /// The entries after `snapshot.metadata.index`, contiguous.
    private(set) var entries: [Entry]
    /// The highest index known committed.
    private(set) var committed: LogIndex
    /// The highest index handed out for applying.
    var applied: LogIndex
    /// The highest index durable on this node's disk.
    private(set) var persisted: LogIndex
    /// A snapshot installed from the leader that the caller has not yet persisted.
    private(set) var pendingSnapshot: Snapshot?
    /// Configurations set by entries after the snapshot, in log order, so that truncating the log can
    /// restore the configuration in force before the truncated entries.
    private(set) var configHistory: [(index: LogIndex, configuration: Configuration)]

    init(restore: RestoreState) {
        snapshot = restore.snapshot
        entries = restore.entries
        let snapshotIndex = restore.snapshot.metadata.index
        persisted = snapshotIndex + restore.entries.count
        // The snapshot only ever covers applied, hence committed, entries.
        committed = max(restore.hardState.commit, snapshotIndex)
        applied = snapshotIndex
        pendingSnapshot = nil
        configHistory = []
        for entry in entries where entry.kind == .configChange { recordConfigChange(entry) }
    }

    var snapshotIndex: LogIndex { snapshot.metadata.index }
    var firstIndex: LogIndex { snapshotIndex.next }
    var lastIndex: LogIndex { snapshotIndex + entries.count }
    var lastTerm: Term { entries.last?.term ?? snapshot.metadata.term }

    /// The latest configuration in the log, committed or not.
    var configuration: Configuration { configHistory.last?.configuration ?? snapshot.metadata.configuration }

    /// The index of the latest configuration change entry (the snapshot index if there is none).
    var configIndex: LogIndex { configHistory.last?.index ?? snapshotIndex }

    /// The configuration in force at `index`, which must not be compacted.
    func configuration(at index: LogIndex) -> Configuration {
        configHistory.last(where: { $0.index <= index })?.configuration ?? snapshot.metadata.configuration
    }

    /// The term of the entry at `index`, or nil when it is compacted away or beyond the log.
    func term(at index: LogIndex) -> Term? {
        if index == snapshotIndex { return snapshot.metadata.term }
        if index < snapshotIndex || index > lastIndex { return nil }
        return entries[index - firstIndex].term
    }

    func matches(index: LogIndex, term: Term) -> Bool { self.term(at: index) == term }

    /// The entries in `from...to`, which must be within the uncompacted log.
    func entries(from: LogIndex, through to: LogIndex) -> ArraySlice<Entry> {
        if from > to { return [] }
        precondition(
            from >= firstIndex && to <= lastIndex, "entries \(from)...\(to) outside \(firstIndex)...\(lastIndex)")
        return entries[(from - firstIndex)...(to - firstIndex)]
    }

    /// Whether a candidate's log ending at `lastIndex`/`lastTerm` is at least as up to date as ours (§5.4.1).
    func isUpToDate(lastIndex otherIndex: LogIndex, lastTerm otherTerm: Term) -> Bool {
        otherTerm > lastTerm || (otherTerm == lastTerm && otherIndex >= lastIndex)
    }

    /// Appends entries that directly follow the log.
    mutating func append(_ newEntries: [Entry]) {
        guard let first = newEntries.first else { return }
        precondition(first.index == lastIndex.next, "append at \(first.index) after last index \(lastIndex)")
        if first.index <= persisted { persisted = first.index.previous }
        entries.append(contentsOf: newEntries)
        for entry in newEntries where entry.kind == .configChange { recordConfigChange(entry) }
    }

    /// Replaces everything from `index` on; committed entries are never replaced.
    mutating func truncate(after index: LogIndex) {
        precondition(index >= committed, "truncating after \(index) would drop committed entries up to \(committed)")
        entries.removeLast(lastIndex - index)
        persisted = min(persisted, index)
        configHistory.removeAll { $0.index > index }
    }

    /// Appends entries received after `prevIndex`, skipping those already present and replacing the
    /// log from the first conflicting entry. Returns the index of the last new entry, or nil (changing
    /// nothing) when the entries contradict a committed entry, which no correct leader sends.
    mutating func appendReplicated(after prevIndex: LogIndex, _ newEntries: [Entry]) -> LogIndex? {
        let lastNew = prevIndex + newEntries.count
        for (offset, entry) in newEntries.enumerated() where !matches(index: entry.index, term: entry.term) {
            if entry.index <= committed { return nil }
            if entry.index <= lastIndex { truncate(after: entry.index.previous) }
            append(Array(newEntries[offset...]))
            break
        }
        return lastNew
    }

    mutating func commit(to index: LogIndex) {
        guard index > committed else { return }
        precondition(index <= lastIndex, "commit \(index) beyond last index \(lastIndex)")
        committed = index
    }

    /// Records that entries through `index` with `term` are durable; a later truncation may have replaced
    /// them, which the term check notices.
    mutating func markPersisted(through index: LogIndex, term: Term) {
        guard index > persisted, matches(index: index, term: term) else { return }
        persisted = index
    }

    /// Drops every entry and starts over from a snapshot received from the leader.
    mutating func install(_ newSnapshot: Snapshot) {
        precondition(
            newSnapshot.metadata.index > committed,
            "installing a snapshot at \(newSnapshot.metadata.index)@\(newSnapshot.metadata.term) would move the "
                + "commit index back from \(committed) (applied \(applied)); only a snapshot beyond it is installed")
        snapshot = newSnapshot
        entries = []
        configHistory = []
        committed = newSnapshot.metadata.index
        persisted = newSnapshot.metadata.index
        pendingSnapshot = newSnapshot
    }

    /// Acknowledges that the pending snapshot is durable and applied.
    mutating func snapshotInstalled(_ index: LogIndex) {
        guard let pending = pendingSnapshot, pending.metadata.index == index else { return }
        pendingSnapshot = nil
        applied = max(applied, index)
        precondition(
            applied <= committed, "snapshot \(index) installed: applied \(applied) above committed \(committed)")
    }

    /// The committed, durable entries not yet handed out for applying.
    var entriesToApply: ArraySlice<Entry> {
        if pendingSnapshot != nil { return [] }
        return entries(from: applied.next, through: min(committed, persisted))
    }

    /// The entries not yet handed out for persisting.
    var unpersistedEntries: ArraySlice<Entry> { entries(from: max(persisted, snapshotIndex).next, through: lastIndex) }

    /// Forgets entries through `index`, which the caller has captured in `data`.
    mutating func compact(through index: LogIndex, data: [UInt8]) {
        precondition(
            index > snapshotIndex && index <= applied, "compact \(index) outside (\(snapshotIndex), \(applied)]")
        guard let term = self.term(at: index) else {
            preconditionFailure("compact \(index): no term for it in \(firstIndex)...\(lastIndex)")
        }
        let metadata = SnapshotMetadata(index: index, term: term, configuration: configuration(at: index))
        entries.removeFirst(index - snapshotIndex)
        configHistory.removeAll { $0.index <= index }
        snapshot = Snapshot(metadata: metadata, data: data)
    }

    private mutating func recordConfigChange(_ entry: Entry) {
        // An undecodable change is skipped: it cannot have been proposed by this code, and a node must not
        // trap on bytes it received.
        guard let change = ConfigChange(encoded: entry.data) else { return }
        let previous = configuration
        let updated = previous.rejection(of: change) == nil ? previous.applying(change) : previous
        configHistory.append((entry.index, updated))
    }
}
