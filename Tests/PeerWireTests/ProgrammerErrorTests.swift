import PadlockTypes
import Raft
import Testing

@testable import PeerWire

/// Encoders stop the process on inputs only a bug produces: the receiver would refuse them anyway.
@Suite struct ProgrammerErrorTests {
    @Test func encodingASnapshotInsideABatchStopsTheProcess() async {
        await #expect(processExitsWith: .failure) {
            _ = PeerWire.encodeBatch([message(.timeoutNow), snapshotMessage(byteCount: 1)])
        }
    }

    @Test func encodingAnEmptyBatchStopsTheProcess() async {
        await #expect(processExitsWith: .failure) {
            _ = PeerWire.encodeBatch([])
        }
    }

    @Test func cuttingAMessageThatIsNotASnapshotStopsTheProcess() async {
        await #expect(processExitsWith: .failure) {
            _ = PeerWire.snapshotChunks(of: message(.timeoutNow), transfer: 1)
        }
    }

    @Test func encodingMoreEntriesThanReceiversAcceptStopsTheProcess() async {
        await #expect(processExitsWith: .failure) {
            let entries = (0..<3).map { Entry(term: Term(1), index: LogIndex(UInt64($0) + 1)) }
            let append = message(.append(prevIndex: .zero, prevTerm: .zero, entries: entries, commit: .zero))
            _ = PeerWire.encodeBatch([append], limits: PeerWireLimits(entryCountPerAppendMax: 2))
        }
    }
}
