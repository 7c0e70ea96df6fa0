import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A node's data directory: it holds the log store and a small identity file naming the cluster and node it
/// belongs to, so that a node pointed at another cluster's (or another node's) directory refuses to start
/// instead of mixing two histories.
enum DataDirectory {
    static let identityFileName = "padlock-identity"

    /// Why a data directory cannot be used.
    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    /// Creates the directory if needed and checks (or, the first time, writes) its identity.
    static func prepare(path: String, clusterID: UInt64, nodeID: UInt64) throws(Problem) {
        let manager = FileManager.default
        do {
            try manager.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: directoryMode])
        } catch {
            throw Problem(description: "data-dir \(path) cannot be created: \(error.localizedDescription)")
        }
        let file = (path as NSString).appendingPathComponent(identityFileName)
        let expected = "cluster=\(clusterID) node=\(nodeID)\n"
        if let existing = manager.contents(atPath: file) {
            let text = String(decoding: existing, as: UTF8.self)
            guard text == expected else {
                throw Problem(
                    description: "data-dir \(path) belongs to \(text.trimmingCharacters(in: .whitespacesAndNewlines)), "
                        + "not cluster \(clusterID) node \(nodeID); point data-dir at this node's own directory")
            }
            return
        }
        let entries = (try? manager.contentsOfDirectory(atPath: path)) ?? []
        if entries.contains(where: { $0.hasPrefix("wal-") || $0.hasPrefix("snapshot-") }) {
            throw Problem(
                description: "data-dir \(path) holds a log but no identity file; it was not written by this node")
        }
        let temporary = file + ".tmp"
        guard manager.createFile(
            atPath: temporary, contents: Data(expected.utf8), attributes: [.posixPermissions: fileMode])
        else {
            throw Problem(description: "data-dir \(path) is not writable")
        }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            try handle.synchronize()
            try handle.close()
        } catch {
            throw Problem(description: "data-dir \(path): writing the identity file failed: \(error.localizedDescription)")
        }
        // Renamed into place, so a crash never leaves a half-written identity behind.
        guard rename(temporary, file) == 0 else {
            throw Problem(description: "data-dir \(path): renaming the identity file failed (errno \(errno))")
        }
    }
}
