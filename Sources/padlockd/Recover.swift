import ArgumentParser
import Foundation
import PadlockConfig
import Server

/// `padlockd recover --force-new-cluster --config node.toml`: rebuilds a one-node cluster from this node's own
/// data directory when a majority of the cluster is lost for good (docs/operations.md, "Rebuild a cluster from
/// one surviving node").
struct Recover: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Rebuild a one-node cluster from this stopped node's data directory (majority lost for good).",
        discussion: """
            Only when a majority of the voters is gone for good and there is no newer backup: this node becomes \
            the only voter of its cluster, with every entry its log holds applied; the original directory is \
            kept beside it (DATA-DIR.before-recover-TIME). Never start the lost nodes' old directories again: \
            add new nodes with join = true. Exit status: 0 rebuilt, 2 refused.
            """)

    @Flag(help: "Required: this node forgets the other members and becomes a one-node cluster.")
    var forceNewCluster = false
    /// The server command's options (`--config`, `--data-dir`, ...).
    @ParentCommand var node: Padlockd

    func validate() throws {
        guard forceNewCluster else {
            throw ValidationError(
                "recover makes this node the only member of its cluster: add --force-new-cluster to confirm (see "
                    + "docs/operations.md, \"Rebuild a cluster from one surviving node\")")
        }
    }

    func run() throws {
        let settings = try node.settingsOrExit()
        let now = Padlockd.nowMilliseconds
        do {
            let report = try NodeRecovery.recover(settings: ServerSettings(settings), now: now)
            print(
                "rebuilt node \(settings.nodeID) as the only voter of cluster \(settings.clusterID) from its log "
                    + "through index \(report.index) (term \(report.term)): \(report.sessions) sessions, "
                    + "\(report.heldLocks) locks (highest fence \(report.highestFence)); the original directory is "
                    + "kept at \(report.keptAt)")
            print(
                "start the node (without --bootstrap), then add members with join = true and `padlock member add`; "
                    + "never restart the lost nodes' old directories")
        } catch {
            FileHandle.standardError.write(Data("padlockd recover: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
