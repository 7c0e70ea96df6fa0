import LockTable
import PadlockTypes
import PeerWire
import Raft
import Storage

extension Node {
    /// Hands Raft's `Ready`s to the environment in the documented order, one disk write at a time.
    func drive() {
        if readyInFlight != nil {
            // The disk is busy with the previous Ready: heartbeats and appends leave anyway.
            send(raft.takeMessages())
            return
        }
        while raft.hasReady && failure == nil {
            let ready = raft.ready()
            noteLogEntries(ready.entries)
            send(ready.messages)
            if configuration.injectedBugs.acknowledgesBeforeFsync { send(ready.messagesAfterPersist) }
            let write = diskWrite(for: ready)
            if write.isEmpty {
                complete(ready, appliedEarly: false)
                continue
            }
            readyInFlight = ready
            counters.diskWrites += 1
            // Raft hands out only entries that are committed and already durable here, so they need not wait
            // for this write: applying and answering them now takes the disk write off the commit path.
            // A snapshot replaces the table, so with one everything waits for the write.
            let appliesEarly = ready.snapshot == nil
            if appliesEarly { applyCommitted(ready) }
            persist(write) { [weak self] result in self?.persisted(ready, appliedEarly: appliesEarly, result) }
            return
        }
    }

    /// What `ready` needs on disk: everything it carries when Raft says it must be synced, nothing otherwise
    /// (a change of the commit index alone costs no disk write; see `Ready.mustSync`).
    private func diskWrite(for ready: Ready) -> DiskWrite {
        guard ready.mustSync else {
            precondition(
                ready.entries.isEmpty && ready.snapshot == nil,
                "node \(id): Raft hands out \(ready.entries.count) entries or a snapshot without asking for a sync")
            return DiskWrite()
        }
        var write = DiskWrite()
        if let snapshot = ready.snapshot {
            write.snapshot = StoredSnapshot(
                index: snapshot.metadata.index.rawValue, term: snapshot.metadata.term.rawValue,
                configuration: PeerWire.encode(snapshot.metadata.configuration), data: snapshot.data)
        }
        write.entries = ready.entries.map(EntryCodec.stored)
        if let hardState = ready.hardState {
            if let last = persistedTermAndVote {
                precondition(
                    hardState.term > last.term
                        || (hardState.term == last.term && (last.vote == nil || hardState.vote == last.vote)),
                    "node \(id): Raft hands out term \(hardState.term) vote \(String(describing: hardState.vote)) "
                        + "after term \(last.term) vote \(String(describing: last.vote)) went to disk; terms never "
                        + "decrease and a term has one vote")
            }
            write.hardState = EntryCodec.stored(hardState)
            persistedTermAndVote = (hardState.term, hardState.vote)
        }
        return write
    }

    private func persisted(_ ready: Ready, appliedEarly: Bool, _ result: Result<Void, any Error>) {
        guard failure == nil else { return }
        if case .failure(let error) = result {
            stop(.storage("\(error)"))
            return
        }
        readyInFlight = nil
        if let snapshot = ready.snapshot { durableIndex = snapshot.metadata.index }
        if let last = ready.entries.last { durableIndex = last.index }
        complete(ready, appliedEarly: appliedEarly)
        announceMembershipIfChanged()
        afterInput()
    }

    /// Everything after a Ready is durable: the answers that promised it, applying (unless done early), reads,
    /// `advance`.
    private func complete(_ ready: Ready, appliedEarly: Bool) {
        if !configuration.injectedBugs.acknowledgesBeforeFsync { send(ready.messagesAfterPersist) }
        if let snapshot = ready.snapshot { install(snapshot) }
        if !appliedEarly { applyCommitted(ready) }
        guard failure == nil else { return }
        raft.advance(ready)
        observeRole()
        compactIfDue()
    }

    /// Applies a Ready's committed entries in order, then serves the reads they make answerable.
    private func applyCommitted(_ ready: Ready) {
        for entry in ready.committedEntries where failure == nil { apply(entry) }
        guard failure == nil else { return }
        for state in ready.readStates { confirm(state) }
        serveConfirmedReads()
    }

    func send(_ messages: [Message]) {
        for message in messages { environment.send(message) }
    }

    /// Replaces the table with a snapshot the leader sent.
    private func install(_ snapshot: Snapshot) {
        let metadata = snapshot.metadata
        precondition(
            metadata.index > applied && metadata.index <= durableIndex,
            "node \(id) (term \(raft.term)): installing the leader's snapshot at \(metadata.index)@\(metadata.term) "
                + "with \(applied) applied and the log durable through \(durableIndex); a snapshot only moves forward")
        let decoded: DecodedSnapshot
        if let received = receivedSnapshot, received.index == metadata.index, received.term == metadata.term {
            decoded = received
        } else {
            var fresh = LockTable(configuration: configuration.lockTable)
            do {
                let contents = try EntryCodec.snapshotContents(snapshot.data)
                try fresh.restore(from: contents.table)
                decoded = DecodedSnapshot(
                    index: metadata.index, term: metadata.term, addressBook: contents.addressBook,
                    incarnations: contents.incarnations, table: fresh)
            } catch {
                stop(.corruptState("the leader's snapshot at \(metadata.index) does not restore: \(error)"))
                return
            }
        }
        receivedSnapshot = nil
        table = decoded.table
        addressBook = decoded.addressBook
        incarnations = decoded.incarnations
        identity.known = decoded.incarnations
        applied = snapshot.metadata.index
        lossRing.reset(floor: applied.rawValue)
        lastStamp = max(lastStamp, table.lastTime.rawValue)
        clocks.observe(stamp: table.lastTime.rawValue, monotonic: environment.monotonicMilliseconds)
        observer?.node(id, installedSnapshotAt: applied, table: table)
    }

    /// Takes a snapshot of the table and compacts the log once enough entries were applied since the last.
    ///
    /// Encoding a large table takes long (about 50 MB for a million locks), so the node hands copies of the
    /// table and the address book to the environment to encode away from its thread, and goes on serving;
    /// the copies share storage with the live table until it changes. The log is compacted once the bytes are
    /// back and no Ready is being written, at the index the copies were taken: entries applied meanwhile stay
    /// in the log.
    private func compactIfDue() {
        switch compaction {
        case .encoding, .saving:
            return
        case .encoded(let index, let data):
            if readyInFlight == nil { compact(through: index, data) }
        case .idle:
            guard readyInFlight == nil, raft.appliedIndex == applied,
                applied.rawValue >= raft.snapshotIndex.rawValue + configuration.snapshotEntryThreshold
            else { return }
            let index = applied
            let book = addressBook
            let records = incarnations
            let copy = table
            compaction = .encoding
            encode({
                EntryCodec.snapshotData(addressBook: book, incarnations: records, table: copy.snapshot())
            }) {
                [weak self] data in
                guard let self, self.failure == nil else { return }
                self.compaction = .encoded(index, data)
                self.compactIfDue()
            }
        }
    }

    private func compact(through index: LogIndex, _ data: [UInt8]) {
        // A snapshot from the leader installed (or arriving) while this one was encoded is newer: drop this one.
        guard index > raft.snapshotIndex,
            let metadata = try? raft.compact(snapshotIndex: index, snapshotData: data)
        else {
            compaction = .idle
            counters.snapshotsDropped += 1
            return
        }
        let stored = StoredSnapshot(
            index: metadata.index.rawValue, term: metadata.term.rawValue,
            configuration: PeerWire.encode(metadata.configuration), data: data)
        compaction = .saving
        counters.snapshots += 1
        counters.diskWrites += 1
        persist(DiskWrite(snapshot: stored, compactThrough: metadata.index.rawValue)) {
            [weak self] result in
            guard let self, self.failure == nil else { return }
            self.compaction = .idle
            if case .failure(let error) = result { self.stop(.storage("saving the snapshot: \(error)")) }
        }
    }
}

extension Node {
    /// `environment.persist`, checking that the completion comes after the call returned.
    func persist(_ write: DiskWrite, completion: @escaping (Result<Void, any Error>) -> Void) {
        startingEnvironmentWork = "persist"
        environment.persist(write) { [weak self] result in
            self?.checkNotInsideEnvironmentCall()
            completion(result)
        }
        startingEnvironmentWork = nil
    }

    /// `environment.encode`, checking that the completion comes after the call returned.
    func encode(_ work: @escaping @Sendable () -> [UInt8], completion: @escaping ([UInt8]) -> Void) {
        startingEnvironmentWork = "encode"
        environment.encode(work) { [weak self] bytes in
            self?.checkNotInsideEnvironmentCall()
            completion(bytes)
        }
        startingEnvironmentWork = nil
    }

    /// Stops the program when a completion arrives inside the environment call that started the work: the
    /// node changes its state after starting work, so such a completion would act on a half-made change.
    private func checkNotInsideEnvironmentCall() {
        if let call = startingEnvironmentWork {
            preconditionFailure(
                "node \(id): the environment delivered the completion of `\(call)` from inside that call; "
                    + "NodeEnvironment delivers completions after the call returned (fix the environment)")
        }
    }
}

/// The node's own snapshot, from the decision to take one to its durable write.
enum Compaction {
    /// No snapshot is being taken.
    case idle
    /// The environment is encoding copies of the table.
    case encoding
    /// The bytes of the table as of `index` are back; the log is compacted once no Ready is being written.
    case encoded(LogIndex, [UInt8])
    /// The snapshot is being written and the log on disk compacted.
    case saving
}
