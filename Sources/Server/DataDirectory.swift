import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A node's data directory: it holds the log store and a small identity file naming the cluster and node it
/// belongs to and the directory's incarnation, so that a node pointed at another cluster's (or another
/// node's) directory refuses to start instead of mixing two histories, and so that the cluster can tell a
/// node whose directory was wiped or replaced from the node it knew (`docs/operations.md`, "Node identity").
///
/// The identity file is one line: `cluster=C node=N incarnation=0x0123456789abcdef`. Files written before
/// incarnations existed hold `cluster=C node=N`; such a directory gets an incarnation at its next start.
enum DataDirectory {
    static let identityFileName = "padlock-identity"

    /// Why a data directory cannot be used.
    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    /// What `prepare` found or did.
    struct Prepared: Equatable {
        /// The directory's incarnation: random, non-zero, fixed when the directory was first initialised.
        var incarnation: UInt64
        /// What happened, for the log: nil when the directory was used as it was.
        var note: String?
    }

    /// Why an empty data directory may be initialised.
    enum Start {
        /// `padlockd --bootstrap`: the first start of a brand-new cluster.
        case bootstrap
        /// `join = true`: a new node that will be added with `padlock member add`.
        case join
        /// Neither: an empty directory is refused.
        case existingOnly
    }

    /// Creates the directory if allowed and checks (or, the first time, writes) its identity.
    static func prepare(path: String, clusterID: UInt64, nodeID: UInt64, start: Start) throws(Problem) -> Prepared {
        let file = (path as NSString).appendingPathComponent(identityFileName)
        if let existing = FileManager.default.contents(atPath: file) {
            let identity = try parse(String(decoding: existing, as: UTF8.self), path: path)
            guard identity.cluster == clusterID, identity.node == nodeID else {
                throw Problem(
                    description: "data-dir \(path) belongs to cluster \(identity.cluster) node \(identity.node), "
                        + "not cluster \(clusterID) node \(nodeID); point data-dir at this node's own directory")
            }
            let ignored =
                start == .bootstrap ? "--bootstrap ignored: the directory already holds this node's data" : nil
            if let incarnation = identity.incarnation { return Prepared(incarnation: incarnation, note: ignored) }
            let incarnation = newIncarnation()
            try write(identity: line(clusterID, nodeID, incarnation), to: file, path: path)
            return Prepared(
                incarnation: incarnation,
                note: "data-dir \(path) had no incarnation (written by an older padlockd); recorded "
                    + "\(hex(incarnation))" + (ignored.map { "; " + $0 } ?? ""))
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        if entries.contains(where: { $0.hasPrefix("wal-") || $0.hasPrefix("snapshot-") }) {
            throw Problem(
                description: "data-dir \(path) holds a log but no identity file; it was not written by this node")
        }
        guard start != .existingOnly else { throw Problem(description: emptyDirectoryRefusal(path, nodeID)) }
        try create(path)
        let incarnation = newIncarnation()
        try write(identity: line(clusterID, nodeID, incarnation), to: file, path: path)
        let why = start == .bootstrap ? "bootstrapping a new cluster" : "joining as a new node"
        return Prepared(
            incarnation: incarnation, note: "initialised data-dir \(path) (\(why)), incarnation \(hex(incarnation))")
    }

    /// The refusal of an empty directory without `--bootstrap` or `join = true`.
    static func emptyDirectoryRefusal(_ path: String, _ nodeID: UInt64) -> String {
        "data-dir \(path) holds no data (no \(identityFileName) file), and padlockd starts on an empty data "
            + "directory only when told why. If this is the first start of a brand-new cluster, start it with "
            + "--bootstrap. If this node joins an existing cluster, set join = true and add it with `padlock "
            + "member add`. If node \(nodeID) was a member and lost its data, do not bootstrap it: remove it with "
            + "`padlock member remove \(nodeID)` and add it back as a new node with join = true."
    }

    static func line(_ clusterID: UInt64, _ nodeID: UInt64, _ incarnation: UInt64) -> String {
        "cluster=\(clusterID) node=\(nodeID) incarnation=\(hex(incarnation))\n"
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }

    /// A random non-zero incarnation.
    static func newIncarnation() -> UInt64 {
        var generator = SystemRandomNumberGenerator()
        return UInt64.random(in: 1...UInt64.max, using: &generator)
    }

    /// The identity file's fields; the incarnation is nil in a file written before incarnations existed.
    static func parse(
        _ text: String, path: String
    ) throws(Problem) -> (cluster: UInt64, node: UInt64, incarnation: UInt64?) {
        var fields: [String: String] = [:]
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let parts = word.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, fields[String(parts[0])] == nil else { break }
            fields[String(parts[0])] = String(parts[1])
        }
        guard let cluster = fields["cluster"].flatMap({ UInt64($0) }), let node = fields["node"].flatMap({ UInt64($0) })
        else {
            throw Problem(
                description: "data-dir \(path): the identity file \(identityFileName) is unreadable "
                    + "(\(text.trimmingCharacters(in: .whitespacesAndNewlines).prefix(80))); it was not written by padlockd"
            )
        }
        guard let text = fields["incarnation"] else { return (cluster, node, nil) }
        guard text.hasPrefix("0x"), let value = UInt64(text.dropFirst(2), radix: 16), value != 0 else {
            throw Problem(
                description: "data-dir \(path): the identity file's incarnation \(text) is not a non-zero hex number")
        }
        return (cluster, node, value)
    }

    private static func create(_ path: String) throws(Problem) {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: directoryMode])
        } catch {
            throw Problem(description: "data-dir \(path) cannot be created: \(error.localizedDescription)")
        }
    }

    /// Writes the identity file through a synced temporary file renamed into place, so that a crash never
    /// leaves a half-written identity behind. The file is readable by its owner only.
    private static func write(identity: String, to file: String, path: String) throws(Problem) {
        let temporary = file + ".tmp"
        guard
            FileManager.default.createFile(
                atPath: temporary, contents: Data(identity.utf8), attributes: [.posixPermissions: fileMode])
        else {
            throw Problem(description: "data-dir \(path) is not writable")
        }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            try handle.synchronize()
            try handle.close()
        } catch {
            throw Problem(
                description: "data-dir \(path): writing the identity file failed: \(error.localizedDescription)")
        }
        guard rename(temporary, file) == 0 else {
            throw Problem(description: "data-dir \(path): renaming the identity file failed (errno \(errno))")
        }
    }
}
