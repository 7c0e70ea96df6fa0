import Foundation

/// `padlock dev --restore-from FILE`: a brand-new local cluster seeded from a backup.
struct DevRestoreError: Error, CustomStringConvertible {
    var description: String
}

extension DevCluster {
    /// Restores every node's data directory from `backup` with `padlockd restore`, as an operator would on
    /// each host. Refused unless the cluster is brand new (no node has a data directory yet).
    func restore(from backup: String) throws {
        guard isBrandNew else {
            throw DevRestoreError(
                description: "--restore-from seeds a brand-new cluster, but \(directory.path) already holds node "
                    + "data; choose a new --dir (or remove this one) and run it again")
        }
        guard FileManager.default.fileExists(atPath: backup) else {
            throw DevRestoreError(description: "--restore-from: no file \(backup)")
        }
        for node in 1...nodeCount {
            let process = Process()
            process.executableURL = padlockd
            process.arguments = [
                "restore", "--backup", backup, "--config",
                nodeDirectory(node).appendingPathComponent("padlockd.toml").path,
            ]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw DevRestoreError(
                    description: "restoring node \(node) failed (exit status \(process.terminationStatus)): "
                        + text.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            print("node \(node): " + (text.split(separator: "\n").first.map(String.init) ?? "restored"))
        }
    }
}
