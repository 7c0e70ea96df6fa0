import LockTable
import PadlockTypes
import Raft
import Storage

/// How the node maps Raft's values to the storage layer's and back, and what a command entry carries.
///
/// A stored entry's payload is one byte of Raft's `Entry.Kind`, then the entry's data. A normal entry's data
/// is the leader's stamp (varint milliseconds since the Unix epoch, kept monotonic by the leader) followed by
/// the command's own encoding (`Command.encode()`).
enum EntryCodec {
    static func stored(_ entry: Entry) -> StoredEntry {
        var payload: [UInt8] = []
        payload.reserveCapacity(entry.data.count + 1)
        payload.append(entry.kind.rawValue)
        payload.append(contentsOf: entry.data)
        return StoredEntry(index: entry.index.rawValue, term: entry.term.rawValue, payload: payload)
    }

    /// The Raft entry a stored one holds; a payload that is empty or names no known kind is corruption.
    static func entry(_ stored: StoredEntry) throws(NodeFailure) -> Entry {
        guard let first = stored.payload.first, let kind = Entry.Kind(rawValue: first) else {
            throw .corruptState("stored entry \(stored.index) has no valid entry kind")
        }
        return Entry(
            term: Term(stored.term), index: LogIndex(stored.index), kind: kind, data: Array(stored.payload.dropFirst()))
    }

    static func stored(_ hardState: HardState) -> StoredHardState {
        StoredHardState(term: hardState.term.rawValue, vote: hardState.vote?.rawValue ?? 0, commit: hardState.commit.rawValue)
    }

    static func hardState(_ stored: StoredHardState) -> HardState {
        HardState(
            term: Term(stored.term), vote: stored.vote == 0 ? nil : NodeID(stored.vote), commit: LogIndex(stored.commit))
    }

    /// The data of a normal entry carrying `command` stamped `time`.
    static func commandData(_ command: Command, stamp: Timestamp) -> [UInt8] {
        var writer = ByteWriter(capacity: 48)
        writer.writeVarint(stamp.rawValue)
        command.encode(into: &writer)
        return writer.bytes
    }

    /// The stamp and command of a normal entry, or nil when the data does not decode (the lock table then
    /// answers `.invalid(.malformedCommand)`; a correct leader never writes such an entry).
    static func command(in data: [UInt8]) -> (stamp: Timestamp, command: Command)? {
        var reader = ByteReader(data)
        do {
            let stamp = Timestamp(rawValue: try reader.readVarint())
            let command = try Command.decode(from: &reader)
            try reader.expectEnd()
            return (stamp, command)
        } catch {
            return nil
        }
    }
}

extension Command {
    /// The exactly-once identity a client command carries (for `resolve`, the request it resolves).
    var requestID: RequestID? {
        switch self {
        case .closeSession(let request), .acquire(let request, _, _, _, _), .release(let request, _, _),
            .cancelWait(let request, _), .forceUnlock(let request, _, _, _), .revokeSession(let request, _, _, _),
            .expireWaiter(let request), .resolve(let request):
            request
        case .openSession, .expireSession, .checkpointLeases:
            nil
        }
    }
}
