import LockTable
import PadlockTypes
import PeerWire
import Raft
import Storage

/// What a node starts from: Raft's restore state and the lock table rebuilt from the newest snapshot.
package struct RestoredState: Sendable {
    /// Raft's persisted state.
    package var raft: RestoreState
    /// The lock table as of the snapshot; the committed entries after it are applied again as Raft hands
    /// them out.
    package var table: LockTable
    /// The replicated address book as of the snapshot.
    package var addressBook: [NodeID: MemberAddresses]
    /// The replicated incarnations as of the snapshot (none in a version 1 snapshot).
    package var incarnations: [NodeID: MemberIncarnation] = [:]
}

/// Reads a node's durable state back from its log store, before the node starts.
package enum NodeRestore {
    /// Loads what `store` holds. A brand-new store gets the bootstrap snapshot written first (index 0, the
    /// initial voters, an empty table), so that every later start reads the same membership from disk
    /// rather than from a configuration file that may have changed.
    ///
    /// Runs synchronously on the calling thread; call it before the node's loop starts using the store.
    package static func load(
        from store: any LogStore, configuration: NodeConfiguration
    ) throws(NodeFailure)
        -> RestoredState
    {
        do {
            let snapshot = try store.loadSnapshot() ?? bootstrap(store, configuration)
            return try restore(store: store, snapshot: snapshot, configuration: configuration)
        } catch let failure as NodeFailure {
            throw failure
        } catch {
            throw .storage("reading the log store: \(error)")
        }
    }

    private static func bootstrap(_ store: any LogStore, _ configuration: NodeConfiguration) throws -> StoredSnapshot {
        guard store.lastIndex == 0, store.hardState == .initial else {
            throw NodeFailure.corruptState(
                "the store holds log entries up to \(store.lastIndex) or a hard state but no snapshot; "
                    + "it was not written by this version of padlockd")
        }
        let membership = Configuration(voters: configuration.bootstrapVoters, learners: [])
        let table = LockTable(configuration: configuration.lockTable).snapshot()
        let snapshot = StoredSnapshot(
            index: 0, term: 0, configuration: PeerWire.encode(membership),
            data: EntryCodec.snapshotData(addressBook: configuration.initialMembers, incarnations: [:], table: table))
        try store.saveSnapshot(snapshot)
        return snapshot
    }

    private static func restore(
        store: any LogStore, snapshot: StoredSnapshot, configuration: NodeConfiguration
    ) throws -> RestoredState {
        let membership: Configuration
        do {
            membership = try PeerWire.decodeConfiguration(snapshot.configuration)
        } catch {
            throw NodeFailure.corruptState("the snapshot at \(snapshot.index) holds an unreadable membership: \(error)")
        }
        let contents = try EntryCodec.snapshotContents(snapshot.data)
        var table = LockTable(configuration: configuration.lockTable)
        do {
            try table.restore(from: contents.table)
        } catch {
            throw NodeFailure.corruptState("the snapshot at \(snapshot.index) holds an unreadable lock table: \(error)")
        }
        guard snapshot.index < LogIndex.limit, store.lastIndex < LogIndex.limit else {
            let index = max(snapshot.index, store.lastIndex)
            throw NodeFailure.impossibleState(
                "the store holds log index \(index), at or above the limit \(LogIndex.limit) that no log reaches: "
                    + "it was written from a forged peer message or is corrupted. Remove node \(configuration.id) "
                    + "from the cluster (padlock member remove \(configuration.id)) and add it back with an empty "
                    + "data directory")
        }
        // A crash between saving a snapshot and compacting can leave entries the snapshot already covers.
        let first = max(store.firstIndex, snapshot.index + 1)
        let stored = first <= store.lastIndex ? try store.entries(from: first, to: store.lastIndex + 1) : []
        var entries: [Entry] = []
        entries.reserveCapacity(stored.count)
        for entry in stored { entries.append(try EntryCodec.entry(entry)) }
        var hardState = EntryCodec.hardState(store.hardState)
        // A snapshot from a leader of a newer term can be durable while the hard state naming that term is
        // not (the crash came between the two). Adopting the newer term without a vote is safe: nothing was
        // promised in it, because votes and append answers leave only after their Ready is durable.
        let lastTerm = entries.last?.term ?? Term(snapshot.term)
        if lastTerm > hardState.term { hardState = HardState(term: lastTerm, vote: nil, commit: hardState.commit) }
        let metadata = SnapshotMetadata(
            index: LogIndex(snapshot.index), term: Term(snapshot.term), configuration: membership)
        let raft = RestoreState(
            hardState: hardState, snapshot: Snapshot(metadata: metadata, data: snapshot.data), entries: entries)
        return RestoredState(
            raft: raft, table: table, addressBook: contents.addressBook, incarnations: contents.incarnations)
    }

    /// Why a restored state cannot be used, when it holds a term or index at or above the limits
    /// (`Term.limit`): a build before these limits adopted such a term from a forged heartbeat and wrote it.
    /// Lowering the term is not safe (the node may have voted in a lower term that it would vote in again),
    /// so the node refuses to start, saying what to do.
    package static func boundsProblem(_ restore: RestoreState) -> String? {
        let hard = restore.hardState
        let snapshot = restore.snapshot.metadata
        let lastTerm = restore.entries.last?.term ?? snapshot.term
        let highest = max(hard.term, lastTerm, snapshot.term)
        guard !highest.isWithinLimit || !hard.commit.isWithinLimit else { return nil }
        return "the stored term \(highest) (or commit index \(hard.commit)) is at or above the limit \(Term.limit) "
            + "that no election reaches: it came from a forged peer message accepted before this version, or "
            + "from a corrupted disk, and the votes this node cast are lost with it. Remove this node from the "
            + "cluster (padlock member remove <id> on a node that is up) and add it back with an empty data "
            + "directory; see docs/operations.md, \"A node refuses an impossible term\""
    }
}
