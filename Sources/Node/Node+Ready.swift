import LockTable
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
            send(ready.messages)
            if configuration.injectedBugs.acknowledgesBeforeFsync { send(ready.messagesAfterPersist) }
            let write = diskWrite(for: ready)
            if write.isEmpty {
                complete(ready)
                continue
            }
            readyInFlight = ready
            counters.diskWrites += 1
            environment.persist(write) { [weak self] result in self?.persisted(ready, result) }
            return
        }
    }

    private func diskWrite(for ready: Ready) -> DiskWrite {
        var write = DiskWrite()
        if let snapshot = ready.snapshot {
            write.snapshot = StoredSnapshot(
                index: snapshot.metadata.index.rawValue, term: snapshot.metadata.term.rawValue,
                configuration: PeerWire.encode(snapshot.metadata.configuration), data: snapshot.data)
        }
        write.entries = ready.entries.map(EntryCodec.stored)
        write.hardState = ready.hardState.map(EntryCodec.stored)
        return write
    }

    private func persisted(_ ready: Ready, _ result: Result<Void, any Error>) {
        guard failure == nil else { return }
        if case .failure(let error) = result {
            stop(.storage("\(error)"))
            return
        }
        readyInFlight = nil
        complete(ready)
        announceMembershipIfChanged()
        afterInput()
    }

    /// Everything after a Ready is durable: the answers that promised it, applying, reads, `advance`.
    private func complete(_ ready: Ready) {
        if !configuration.injectedBugs.acknowledgesBeforeFsync { send(ready.messagesAfterPersist) }
        if let snapshot = ready.snapshot { install(snapshot) }
        for entry in ready.committedEntries where failure == nil { apply(entry) }
        guard failure == nil else { return }
        raft.advance(ready)
        for state in ready.readStates { confirm(state) }
        serveConfirmedReads()
        observeRole()
        compactIfDue()
    }

    func send(_ messages: [Message]) {
        for message in messages { environment.send(message) }
    }

    /// Replaces the table with a snapshot the leader sent.
    private func install(_ snapshot: Snapshot) {
        var fresh = LockTable(configuration: configuration.lockTable)
        let contents: (addressBook: [NodeID: MemberAddresses], table: [UInt8])
        do {
            contents = try EntryCodec.snapshotContents(snapshot.data)
            try fresh.restore(from: contents.table)
        } catch {
            stop(.corruptState("the leader's snapshot at \(snapshot.metadata.index) does not restore: \(error)"))
            return
        }
        table = fresh
        addressBook = contents.addressBook
        applied = snapshot.metadata.index
        lastStamp = max(lastStamp, table.lastTime.rawValue)
        observer?.node(id, installedSnapshotAt: applied, table: table)
    }

    /// Takes a snapshot of the table and compacts the log once enough entries were applied since the last.
    private func compactIfDue() {
        guard !snapshotInFlight, readyInFlight == nil, raft.appliedIndex == applied,
            applied.rawValue >= raft.snapshotIndex.rawValue + configuration.snapshotEntryThreshold
        else { return }
        let data = EntryCodec.snapshotData(addressBook: addressBook, table: table.snapshot())
        let metadata: SnapshotMetadata
        do {
            metadata = try raft.compact(snapshotIndex: applied, snapshotData: data)
        } catch {
            preconditionFailure("node \(id): compacting through applied index \(applied) failed: \(error)")
        }
        let stored = StoredSnapshot(
            index: metadata.index.rawValue, term: metadata.term.rawValue,
            configuration: PeerWire.encode(metadata.configuration), data: data)
        snapshotInFlight = true
        counters.snapshots += 1
        counters.diskWrites += 1
        environment.persist(DiskWrite(snapshot: stored, compactThrough: metadata.index.rawValue)) {
            [weak self] result in
            guard let self, self.failure == nil else { return }
            self.snapshotInFlight = false
            if case .failure(let error) = result { self.stop(.storage("saving the snapshot: \(error)")) }
        }
    }
}
