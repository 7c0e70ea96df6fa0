import Foundation
import Node
import PadlockTypes
import Raft
import Storage

/// `padlockd restore --backup FILE --config node.toml` (docs/operations.md, "Restore a cluster from a
/// backup"): prepares this node's empty data directory as a founding member of a new cluster seeded from a
/// backup. Every member of the new cluster is restored from the same file with its own configuration; the
/// membership comes from the configuration's `[[members]]`, not from the backup (as `etcdutl snapshot restore`
/// does). Started afterwards like any node (no `--bootstrap`), the nodes elect a leader whose log continues
/// above the backup's index.
package enum BackupRestore {
    /// Why a restore was refused; nothing was written (or what was written was removed).
    package struct Refusal: Error, CustomStringConvertible {
        package var description: String
    }

    /// What was restored, for the operator.
    package struct Report: Sendable {
        package var backup: BackupHeader
        package var sessions: Int
        package var heldLocks: Int
        package var holds: Int
        package var auditRecords: Int
        package var highestFence: UInt64
        package var voters: [UInt64]
    }

    /// Restores `backupPath` into `settings.dataDirectory`, which must be absent or empty. `now` is the
    /// restore's wall clock (milliseconds since the Unix epoch): every session's whole TTL counts from it.
    package static func restore(
        backupPath: String, settings: ServerSettings, now: UInt64
    ) throws(Refusal) -> Report {
        let path = settings.dataDirectory
        try checkEmpty(path)
        guard !settings.join else {
            throw Refusal(
                description: "the configuration says join = true, but a restored node founds a new cluster: remove "
                    + "join from its configuration, list every member of the new cluster in [[members]], and "
                    + "restore each of them from the same backup")
        }
        guard settings.members.contains(where: { $0.id == settings.nodeID }) else {
            throw Refusal(
                description: "node \(settings.nodeID) is not among the configuration's [[members]]; a restored "
                    + "cluster's members are the configuration's, so list this node there too")
        }
        guard let data = FileManager.default.contents(atPath: backupPath) else {
            throw Refusal(description: "cannot read the backup \(backupPath)")
        }
        let configuration = settings.nodeConfiguration
        let backup: Backup
        do {
            backup = try BackupFile.decode(Array(data), lockTable: configuration.lockTable)
        } catch {
            throw Refusal(description: "\(backupPath) is not a usable backup: \(error)")
        }
        let snapshot = backup.seedSnapshot(members: configuration.initialMembers, at: Timestamp(rawValue: now))
        do {
            _ = try DataDirectory.prepare(
                path: path, clusterID: settings.clusterID, nodeID: settings.nodeID, start: .bootstrap)
            try write(snapshot, into: path)
        } catch {
            // Leave no half-prepared directory behind: a retry must find it empty again.
            removeContents(of: path)
            throw Refusal(description: "preparing data-dir \(path) failed: \(error)")
        }
        let counts = backup.table.counts
        return Report(
            backup: backup.header, sessions: counts.sessions, heldLocks: counts.heldLocks,
            holds: backup.table.holdTotal,
            auditRecords: counts.auditRecords, highestFence: backup.table.highestFence.rawValue,
            voters: configuration.initialMembers.keys.map(\.rawValue).sorted())
    }

    /// Refuses a data directory that holds anything: a restore never mixes a backup with a node's own data.
    static func checkEmpty(_ path: String) throws(Refusal) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else {
            throw Refusal(description: "data-dir \(path) is a file, not a directory; point data-dir at a new directory")
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        guard entries.isEmpty else {
            let shown = entries.sorted().prefix(3).joined(separator: ", ") + (entries.count > 3 ? ", …" : "")
            throw Refusal(
                description: "data-dir \(path) is not empty (it holds \(shown)); restore prepares a new, empty data "
                    + "directory and never overwrites a node's data. Stop the node, move the directory aside (or "
                    + "point data-dir at a new one), and run the restore again")
        }
    }

    /// Saves the seed snapshot and a hard state in its term, with the snapshot's index committed.
    private static func write(_ snapshot: StoredSnapshot, into path: String) throws {
        let store = try FileLogStore(directory: path)
        try store.saveSnapshot(snapshot)
        try store.append([], hardState: StoredHardState(term: snapshot.term, vote: 0, commit: snapshot.index))
    }

    private static func removeContents(of path: String) {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
            try? FileManager.default.removeItem(atPath: (path as NSString).appendingPathComponent(entry))
        }
    }
}
