import LockTable
import PadlockTypes
import PeerWire
import Raft
import Testing
import Wire

@testable import Node

/// The backup file format (docs/storage.md, "Backup file"): what it holds, and every kind of damage refused
/// with a typed error that says what to do.
struct BackupFileTests {
    static let info = BackupInfo(
        transfer: 1, index: 40, term: 3, clusterID: 77, node: 2, createdMilliseconds: 1_765_000_000_000, byteCount: 0)

    /// A table with two sessions, an exclusive and a shared lock, a force-unlock in the audit trail.
    static func table() throws -> LockTable {
        var table = LockTable()
        let time = Timestamp(rawValue: 1_765_000_000_000)
        _ = table.apply(.openSession(owner: "alice@it", nonce: 1, ttlMilliseconds: 10_000), at: 1, time: time)
        _ = table.apply(.openSession(owner: "ops@it", nonce: 2, ttlMilliseconds: 20_000), at: 2, time: time)
        let alice = SessionID(1)
        _ = table.apply(
            .acquire(
                RequestID(session: alice, sequence: 1), key: try LockKey("acme/contacts/42"), mode: .exclusive,
                waitMilliseconds: 0, note: "editing phone"), at: 5, time: time)
        _ = table.apply(
            .acquire(
                RequestID(session: alice, sequence: 2), key: try LockKey("acme/deals/9"), mode: .shared,
                waitMilliseconds: 0, note: ""), at: 8, time: time)
        _ = table.apply(
            .acquire(
                RequestID(session: alice, sequence: 3), key: try LockKey("acme/contacts/99"), mode: .exclusive,
                waitMilliseconds: 0, note: ""), at: 9, time: time)
        _ = table.apply(
            .forceUnlock(
                RequestID(session: SessionID(2), sequence: 1), key: try LockKey("acme/contacts/99"), reason: "gone",
                admin: "ops@it"), at: 12, time: time)
        return table
    }

    static func file() throws -> [UInt8] {
        let body = BackupBody.encode(
            configuration: Configuration(voters: [NodeID(1), NodeID(2), NodeID(3)], learners: []),
            addressBook: [NodeID(1): MemberAddresses(peer: "10.0.0.1:7501", client: "10.0.0.1:7401")],
            incarnations: [:], table: try table())
        return BackupFile.encode(info, body: body)
    }

    @Test("A backup reads back with its header, membership and every lock")
    func roundTrip() throws {
        let backup = try BackupFile.decode(try Self.file())
        #expect(
            backup.header
                == BackupHeader(
                    version: 1, index: 40, term: 3, clusterID: 77, node: 2, createdMilliseconds: 1_765_000_000_000,
                    bodyByteCount: backup.header.bodyByteCount))
        #expect(backup.configuration.voters == [NodeID(1), NodeID(2), NodeID(3)])
        #expect(backup.addressBook[NodeID(1)]?.client == "10.0.0.1:7401")
        #expect(backup.table.snapshot() == (try Self.table()).snapshot())
        #expect(backup.table.counts.heldLocks == 2)
        #expect(backup.table.counts.auditRecords == 1)
        #expect(backup.table.highestFence == FenceToken(8))
    }

    @Test("Any flipped bit is refused: in the header as damage to it, in the body by the body's checksum")
    func flippedBits() throws {
        let good = try Self.file()
        for index in stride(from: 0, to: good.count, by: max(1, good.count / 200)) {
            var damaged = good
            damaged[index] ^= 0x04
            #expect(throws: BackupFileError.self, "a flip at byte \(index)") { try BackupFile.decode(damaged) }
        }
        var body = good
        body[BackupFile.headerByteCount + 3] ^= 0x01
        #expect {
            try BackupFile.decode(body)
        } throws: { error in
            guard case .bodyDamaged = error as? BackupFileError else { return false }
            return "\(error)".contains("use another copy")
        }
        var header = good
        header[20] ^= 0x01
        #expect(throws: BackupFileError.headerDamaged) { try BackupFile.decode(header) }
    }

    @Test("A short, foreign, cut or newer file is refused with what to do")
    func refusals() throws {
        let good = try Self.file()
        #expect(throws: BackupFileError.tooShort(byteCount: 10)) { try BackupFile.decode(Array(good.prefix(10))) }
        var foreign = good
        foreign[0] = UInt8(ascii: "X")
        #expect(throws: BackupFileError.notABackup) { try BackupFile.decode(foreign) }
        let cut = Array(good.dropLast(7))
        #expect(throws: BackupFileError.wrongSize(expected: UInt64(good.count), actual: cut.count)) {
            try BackupFile.decode(cut)
        }
        var newer = good
        newer[11] = 2
        #expect(throws: BackupFileError.newerVersion(found: 2, supported: 1)) { try BackupFile.decode(newer) }
        #expect("\(BackupFileError.newerVersion(found: 2, supported: 1))".contains("version 2"))
    }

    @Test("The seed snapshot keeps the index, term, holders and audit; sessions get their whole TTL from the restore")
    func seedSnapshot() throws {
        let backup = try BackupFile.decode(try Self.file())
        let restoreTime = Timestamp(rawValue: 1_765_000_900_000)
        let members = [
            NodeID(5): MemberAddresses(peer: "10.1.0.5:7501", client: "10.1.0.5:7401"),
            NodeID(6): MemberAddresses(peer: "10.1.0.6:7501", client: "10.1.0.6:7401"),
        ]
        let seed = backup.seedSnapshot(members: members, at: restoreTime)
        #expect(seed.index == 40 && seed.term == 3)
        #expect(try PeerWire.decodeConfiguration(seed.configuration).voters == [NodeID(5), NodeID(6)])
        let contents = try EntryCodec.snapshotContents(seed.data)
        #expect(contents.addressBook == members)
        #expect(contents.incarnations.isEmpty)
        var table = LockTable()
        try table.restore(from: contents.table)
        #expect(
            table.list(limit: 10).locks
                == backup.table.list(limit: 10).locks.map { lock in
                    var lock = lock
                    lock.leaseDeadline = restoreTime.adding(milliseconds: 10_000)
                    return lock
                })
        #expect(table.auditTrail(since: 0, limit: 10).records == backup.table.auditTrail(since: 0, limit: 10).records)
        for session in table.allSessions() {
            #expect(session.checkpointRemainingMilliseconds == session.ttlMilliseconds)
            #expect(session.leaseDeadline == restoreTime.adding(milliseconds: session.ttlMilliseconds))
        }
    }
}
