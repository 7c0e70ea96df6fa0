import Foundation
import Node
import PadlockTypes
import Raft
import Storage

#if canImport(Glibc)
    import Glibc
#endif

/// `padlockd recover --force-new-cluster --config node.toml` (docs/operations.md, "Rebuild a cluster from one
/// surviving node"): turns this node's own data directory into the seed of a one-node cluster of which it is
/// the only voter, after moving the original aside untouched.
package enum NodeRecovery {
    /// What was recovered, for the operator.
    package struct Report: Sendable {
        package var index: UInt64
        package var term: UInt64
        package var sessions: Int
        package var heldLocks: Int
        package var highestFence: UInt64
        /// Where the original directory now is.
        package var keptAt: String
    }

    /// Rebuilds `settings.dataDirectory` in place; `now` is the wall clock (sessions get a whole TTL from it).
    package static func recover(settings: ServerSettings, now: UInt64) throws(BackupRestore.Refusal) -> Report {
        let path = settings.dataDirectory
        let configuration = settings.nodeConfiguration
        let seed: Backup
        let hardTerm: UInt64
        do {
            _ = try DataDirectory.prepare(
                path: path, clusterID: settings.clusterID, nodeID: settings.nodeID, start: .existingOnly)
            (seed, hardTerm) = try replay(path, settings: settings, configuration: configuration, now: now)
        } catch let refusal as BackupRestore.Refusal {
            throw refusal
        } catch {
            throw BackupRestore.Refusal(description: "cannot read data-dir \(path): \(error)")
        }
        guard let own = configuration.initialMembers[configuration.id] else {
            throw BackupRestore.Refusal(
                description: "node \(settings.nodeID) is not among the configuration's [[members]], so its "
                    + "addresses are unknown; list it there")
        }
        let keptAt = path + ".before-recover-\(now / 1_000)"
        guard rename(path, keptAt) == 0 else {
            throw BackupRestore.Refusal(
                description: "moving data-dir \(path) aside to \(keptAt) failed: \(String(cString: strerror(errno)))")
        }
        let snapshot = seed.seedSnapshot(members: [configuration.id: own], at: Timestamp(rawValue: now))
        do {
            _ = try DataDirectory.prepare(
                path: path, clusterID: settings.clusterID, nodeID: settings.nodeID, start: .bootstrap)
            let store = try FileLogStore(directory: path)
            try store.saveSnapshot(snapshot)
            try store.append([], hardState: StoredHardState(term: hardTerm, vote: 0, commit: snapshot.index))
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            _ = rename(keptAt, path)
            throw BackupRestore.Refusal(
                description: "writing the new data-dir \(path) failed, nothing changed: \(error)")
        }
        let counts = seed.table.counts
        return Report(
            index: snapshot.index, term: seed.header.term, sessions: counts.sessions, heldLocks: counts.heldLocks,
            highestFence: seed.table.highestFence.rawValue, keptAt: keptAt)
    }

    /// The node's log replayed, and the highest term it knows (its hard state's or its last entry's).
    private static func replay(
        _ path: String, settings: ServerSettings, configuration: NodeConfiguration, now: UInt64
    ) throws -> (Backup, UInt64) {
        let store: FileLogStore
        do {
            store = try FileLogStore(directory: path)
        } catch {
            throw BackupRestore.Refusal(
                description: "cannot open the log in \(path) (\(error)); stop padlockd on this node first")
        }
        let restored = try NodeRestore.load(from: store, configuration: configuration)
        let seed = ForcedRecovery.replay(
            restored, clusterID: settings.clusterID, node: configuration.id, at: now)
        return (seed, max(store.hardState.term, seed.header.term))
    }
}
