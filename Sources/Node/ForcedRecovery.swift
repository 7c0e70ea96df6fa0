import LockTable
import PadlockTypes
import Raft

/// `padlockd recover --force-new-cluster` (docs/operations.md, "Rebuild a cluster from one surviving node"):
/// the state one node's own durable log reaches, as the seed of a one-node cluster. Pure: the caller reads the
/// store and writes the new directory.
package enum ForcedRecovery {
    /// How far above the survivor's last index the new log starts. Grants the lost majority made that the
    /// survivor never saw had fences above its last index; starting this far above keeps every new fence
    /// above them too, however many a leader appended in the moments the survivor lagged. Fences are only
    /// compared, so the gap costs nothing.
    package static let indexGap: UInt64 = 1_000_000

    /// Every entry the node holds applied on top of its snapshot, committed or not as far as it knows: with a
    /// majority gone nobody can tell which of its last entries were committed, and keeping them loses nothing
    /// that was acknowledged and is still anywhere (an entry it lacks is lost with the other nodes). The result
    /// is described like a backup taken at the node's last entry plus ``indexGap``, with the membership it had
    /// there.
    package static func replay(_ restored: RestoredState, clusterID: UInt64, node: NodeID, at time: UInt64) -> Backup {
        var table = restored.table
        var addressBook = restored.addressBook
        for entry in restored.raft.entries where entry.kind == .normal {
            switch EntryCodec.payload(in: entry.data) {
            case .command(let stamp, let command)?:
                _ = table.apply(command, at: entry.index.rawValue, time: stamp)
            case .member(let member, let addresses)?:
                addressBook[member] = addresses
            case .incarnation?:
                break
            case nil:
                _ = table.apply(encoded: [], at: entry.index.rawValue, time: table.lastTime)
            }
        }
        let snapshot = restored.raft.snapshot.metadata
        let last = restored.raft.entries.last
        let header = BackupHeader(
            version: BackupFile.version, index: (last?.index ?? snapshot.index).rawValue + indexGap,
            term: (last?.term ?? snapshot.term).rawValue, clusterID: clusterID, node: node.rawValue,
            createdMilliseconds: time, bodyByteCount: 0)
        return Backup(
            header: header, configuration: snapshot.configuration, addressBook: addressBook, incarnations: [:],
            table: table)
    }
}
