import LockTable
import Node
import PadlockTypes
import Testing
import Wire

/// The leader's side of an online backup (`Node+Backup.swift`): a consistent copy at an applied index, handed
/// out in bounded chunks while other requests are served, and the transfers it keeps.
@Suite struct NodeBackupTests {
    static let note = String(repeating: "n", count: 1_000)

    /// A leader holding 1,200 locks with 1,000-byte notes: a body of more than one chunk.
    static func cluster() throws -> SingleNodeCluster {
        let cluster = try SingleNodeCluster { $0.lockTable.locksPerSessionMax = 1_000 }
        cluster.elect()
        for owner in ["alice@it", "bob@it"] {
            let session = try cluster.openSession(ttl: 60_000, owner: owner)
            for number in 1...600 {
                let acquisition = Acquisition(
                    key: key("acme/\(owner)/\(number)"), mode: .exclusive, waitMilliseconds: 0, note: Self.note)
                guard
                    case .success(.granted)? = cluster.ask(
                        .acquire(RequestID(session: session, sequence: UInt64(number)), acquisition))
                else { throw TestFailure("acquire \(number) of \(owner) was not granted") }
            }
        }
        return cluster
    }

    @Test("A backup is the state at one applied index, in chunks, with requests served between them")
    func chunkedConsistentBackup() throws {
        let cluster = try Self.cluster()
        guard case .success(.backupStarted(let info))? = cluster.ask(.backup) else {
            throw TestFailure("no backupStarted")
        }
        #expect(info.node == 1 && info.byteCount > UInt64(WireLimits.backupChunkByteCountMax))
        let later = try cluster.openSession(owner: "carol@it")
        var body: [UInt8] = []
        var chunks = 0
        while UInt64(body.count) < info.byteCount {
            guard
                case .success(.backupChunk(let chunk))? = cluster.ask(
                    .backupChunk(transfer: info.transfer, offset: UInt64(body.count)))
            else { throw TestFailure("no chunk at \(body.count)") }
            #expect(chunk.data.count <= WireLimits.backupChunkByteCountMax && !chunk.data.isEmpty)
            body += chunk.data
            chunks += 1
            // Another request between two chunks is served at once.
            #expect(cluster.ask(.inspect(key("acme/alice@it/1"))) != nil)
        }
        #expect(chunks == 2)
        let backup = try BackupFile.decode(BackupFile.encode(info, body: body))
        #expect(backup.header.index == info.index)
        #expect(backup.table.counts.heldLocks == 1_200)
        #expect(backup.table.session(later) == nil, "a session opened after the backup is not in it")
        #expect(backup.table.highestFence.rawValue <= info.index)
    }

    @Test("A transfer is its connection's, is dropped at its end, and at most two are kept")
    func transfers() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        guard case .success(.backupStarted(let info))? = cluster.ask(.backup) else {
            throw TestFailure("no backupStarted")
        }
        let elsewhere = cluster.ask(.backupChunk(transfer: info.transfer, offset: 0), from: ClientID(2))
        guard case .failure(.invalidArgument(let message))? = elsewhere else {
            throw TestFailure("another connection got \(String(describing: elsewhere))")
        }
        #expect(message.contains("take the backup again"))
        #expect(cluster.ask(.backup) != nil)
        guard case .failure(.overloaded)? = cluster.ask(.backup) else { throw TestFailure("a third was accepted") }
        _ = cluster.ask(.backupChunk(transfer: info.transfer, offset: 0))
        guard
            case .success(.backupChunk(let end))? = cluster.ask(
                .backupChunk(transfer: info.transfer, offset: info.byteCount))
        else { throw TestFailure("no empty chunk at the end") }
        #expect(end.data.isEmpty)
        guard case .failure(.invalidArgument)? = cluster.ask(.backupChunk(transfer: info.transfer, offset: 0)) else {
            throw TestFailure("the transfer was kept after its end")
        }
        cluster.node.clientDisconnected(cluster.client)
        guard case .success(.backupStarted)? = cluster.ask(.backup) else {
            throw TestFailure("a closed connection's transfers still count")
        }
    }
}
