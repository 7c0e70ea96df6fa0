import LockTable
import PadlockTypes
import PeerWire
import Raft
import Wire

// Online backup (docs/wire.md "Backup", docs/operations.md "Back up a running cluster"). The leader answers
// `backup` as a read: once a ReadIndex round confirmed it still leads and its table has applied the confirmed
// index, it copies the table, the membership and the address book (values that share storage with the live
// ones until they change) and hands them to the environment to encode away from its thread, like its own
// snapshots. The encoded body is kept for the connection that asked, which pulls it with `backupChunk`
// requests, each a bounded frame; every other request is served between two chunks.

/// The backups this node has encoded and not yet handed out completely.
struct BackupBook {
    /// One encoded backup.
    struct Transfer {
        var client: ClientID
        var info: BackupInfo
        var body: [UInt8]
        /// When a chunk was last asked for (or the body was ready), on the monotonic clock.
        var lastUse: UInt64
    }

    /// At most this many backups are kept at once; a further `backup` is answered `overloaded`.
    static let transfersMax = 2
    /// A transfer nobody asked a chunk of for this long is dropped (milliseconds).
    static let idleMillisecondsMax: UInt64 = 60_000

    var transfers: [UInt64: Transfer] = [:]
    /// Backups being encoded (they count against ``transfersMax``).
    var encoding = 0
    var nextTransfer: UInt64 = 1

    /// Drops transfers idle since before `now - idleMillisecondsMax`.
    mutating func dropIdle(now: UInt64) {
        transfers = transfers.filter { now < $0.value.lastUse + Self.idleMillisecondsMax }
    }

    /// Drops the transfers of a connection that closed.
    mutating func drop(_ client: ClientID) {
        transfers = transfers.filter { $0.value.client != client }
    }
}

extension Node {
    /// Serves a confirmed `backup` read: copies the state as of `applied` and encodes it off the loop thread.
    func startBackup(_ reply: ReplyTarget) {
        let now = environment.monotonicMilliseconds
        backups.dropIdle(now: now)
        guard backups.transfers.count + backups.encoding < BackupBook.transfersMax else {
            let reason =
                "node \(id) is already preparing \(BackupBook.transfersMax) backups; retry once one of them is "
                + "fetched (an abandoned one is dropped after \(BackupBook.idleMillisecondsMax / 1_000) s)"
            return respond(reply, .failure(.overloaded(reason: reason)))
        }
        let index = applied
        let term = raft.term(at: index) ?? raft.term
        let configuration = raft.configuration
        let book = addressBook
        let records = incarnations
        let copy = table
        let created = environment.wallMilliseconds
        backups.encoding += 1
        encode({
            BackupBody.encode(configuration: configuration, addressBook: book, incarnations: records, table: copy)
        }) { [weak self] body in
            guard let self, self.failure == nil else { return }
            self.backups.encoding -= 1
            let transfer = self.backups.nextTransfer
            self.backups.nextTransfer += 1
            let info = BackupInfo(
                transfer: transfer, index: index.rawValue, term: term.rawValue,
                clusterID: self.configuration.clusterID, node: self.id.rawValue, createdMilliseconds: created,
                byteCount: UInt64(body.count))
            self.backups.transfers[transfer] = BackupBook.Transfer(
                client: reply.client, info: info, body: body, lastUse: self.environment.monotonicMilliseconds)
            self.respond(reply, .success(.backupStarted(info)))
        }
    }

    /// Answers a `backupChunk`: any node that holds the transfer answers, leader or not (the backup is of
    /// committed state, whoever leads now). A request at the body's end (no data) drops the transfer.
    func serveBackupChunk(transfer: UInt64, offset: UInt64, _ reply: ReplyTarget) {
        let now = environment.monotonicMilliseconds
        backups.dropIdle(now: now)
        guard var kept = backups.transfers[transfer], kept.client == reply.client else {
            let problem =
                "node \(id) holds no backup transfer \(transfer) for this connection (it was fetched, dropped "
                + "after \(BackupBook.idleMillisecondsMax / 1_000) s idle, or made by another node); take the "
                + "backup again"
            return respond(reply, .failure(.invalidArgument(message: problem)))
        }
        guard offset <= kept.info.byteCount else {
            let problem =
                "backup transfer \(transfer) holds \(kept.info.byteCount) bytes; offset \(offset) is past them"
            return respond(reply, .failure(.invalidArgument(message: problem)))
        }
        let start = Int(offset)
        let end = min(kept.body.count, start + WireLimits.backupChunkByteCountMax)
        let data = Array(kept.body[start..<end])
        if start == kept.body.count && start > 0 {
            // Asked past the end: the client has every byte. (A lost answer to the last chunk is asked again.)
            backups.transfers[transfer] = nil
        } else {
            kept.lastUse = now
            backups.transfers[transfer] = kept
        }
        respond(reply, .success(.backupChunk(BackupChunk(transfer: transfer, offset: offset, data: data))))
    }
}
