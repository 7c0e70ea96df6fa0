import ArgumentParser
import Foundation
import PadlockConfig
import Server

/// `padlockd restore --backup FILE --config node.toml`: prepares this node's empty data directory for a new
/// cluster seeded from a backup (docs/operations.md, "Restore a cluster from a backup").
struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Prepare this node's empty data directory as a member of a new cluster seeded from a backup.",
        discussion: """
            Run it on every member of the new cluster, each with its own configuration and the same backup file; \
            the members are the configuration's [[members]]. Then start the nodes as usual (without --bootstrap). \
            Held locks keep their holders and fences, every session gets its whole TTL from the restore, the \
            audit trail is kept, and new fences are above the backup's index. A data directory that holds \
            anything is refused. Exit status: 0 restored, 2 refused (the message says why and what to do).
            """)

    @Option(help: "The backup file, made by `padlock backup --out FILE`.") var backup: String
    /// The server command's options (`--config`, `--data-dir`, ...), given before or after `restore`: a restore
    /// reads the configuration exactly as a start does.
    @ParentCommand var node: Padlockd

    func run() throws {
        let settings = try node.settingsOrExit()
        let now = Padlockd.nowMilliseconds
        do {
            let report = try BackupRestore.restore(backupPath: backup, settings: ServerSettings(settings), now: now)
            let header = report.backup
            print(
                "restored node \(settings.nodeID) of cluster \(settings.clusterID) in \(settings.dataDirectory) from "
                    + "\(backup): index \(header.index) (term \(header.term)) of cluster \(header.clusterID), "
                    + "\(report.sessions) sessions, \(report.heldLocks) locks (highest fence \(report.highestFence)), "
                    + "\(report.holds) holds, \(report.auditRecords) audit records; members "
                    + report.voters.map(String.init).joined(separator: ", "))
            print(
                "restore every other member from the same file, then start each node (without --bootstrap); new "
                    + "fences start above \(header.index)")
        } catch {
            FileHandle.standardError.write(Data("padlockd restore: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
