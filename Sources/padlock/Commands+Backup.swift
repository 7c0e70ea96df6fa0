import ArgumentParser
import Foundation
import Node
import PadlockClient
import PadlockTypes

#if canImport(Glibc)
    import Glibc
#endif

/// `padlock backup --out FILE` and `padlock backup verify FILE` (docs/operations.md, "Back up a running
/// cluster").
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Save a consistent backup of the running cluster to a file (admin only), or check one.",
        discussion: """
            The leader encodes its state at a committed index it has applied (locks, holders and fences, \
            sessions, waiters, lock-delays, holds, the audit trail, the membership) while it keeps serving, and \
            this command pulls it in chunks. The file is written under a temporary name, synced and renamed, and \
            mode 600 (it holds keys, owners and notes). Restore it with `padlockd restore` on every node of a new \
            cluster.
            """,
        subcommands: [BackupVerify.self])

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "The file to write (replaced if it exists).") var out: String?
    @Option(help: "Deadline of the whole backup, such as 2m (large tables take longer to encode).")
    var deadline: String = "2m"

    func validate() throws {
        guard parseDuration(deadline) != nil else {
            throw ValidationError("--deadline takes a duration such as 30s or 2m; got \(deadline)")
        }
    }

    func run() async throws {
        guard let out else {
            throw ValidationError("give --out FILE to write a backup, or `padlock backup verify FILE` to check one")
        }
        let patience = parseDuration(deadline) ?? .seconds(120)
        var written: (path: String, bytes: [UInt8])?
        try await withClient(connection, attemptTimeout: patience) { (client) async throws(PadlockError) in
            let (info, body) = try await client.backup()
            written = (out, BackupFile.encode(info, body: body))
        }
        guard let written else { return }
        do {
            try BackupWriter.write(written.bytes, to: written.path)
            let backup = try BackupFile.decode(written.bytes)
            print("wrote \(written.path) (\(written.bytes.count) bytes)")
            for line in BackupVerify.describe(backup) { print("  " + line) }
        } catch {
            FileHandle.standardError.write(Data("padlock: backup not saved: \(error)\n".utf8))
            throw ExitCode(ExitStatus.failure.rawValue)
        }
    }
}

/// `padlock backup verify FILE`: checks a backup without a cluster and says what it holds.
struct BackupVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a backup file (header, checksums, every record) without a cluster; print what it holds.",
        discussion: "Exit status 0 for a good backup, 5 with the reason for a damaged or foreign file.")

    @Argument(help: "The backup file.") var file: String

    func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            FileHandle.standardError.write(Data("padlock: cannot read \(file)\n".utf8))
            throw ExitCode(ExitStatus.failure.rawValue)
        }
        do {
            let backup = try BackupFile.decode(Array(data))
            print("\(file): a good Padlock backup (format version \(backup.header.version), \(data.count) bytes)")
            for line in Self.describe(backup) { print("  " + line) }
        } catch {
            FileHandle.standardError.write(Data("padlock: \(file) is not a usable backup: \(error)\n".utf8))
            throw ExitCode(ExitStatus.invalidArgument.rawValue)
        }
    }

    /// What a backup holds, in lines for people.
    static func describe(_ backup: Backup) -> [String] {
        let header = backup.header
        let counts = backup.table.counts
        let voters = backup.configuration.voters.map { "\($0.rawValue)" }.joined(separator: ", ")
        let learners = backup.configuration.learners.map { "\($0.rawValue)" }.joined(separator: ", ")
        return [
            "taken by node \(header.node) of cluster \(header.clusterID) on "
                + "\(Formatting.time(Timestamp(rawValue: header.createdMilliseconds))) (local time)",
            "consistent at log index \(header.index) (term \(header.term)); a cluster restored from it grants "
                + "fences above \(header.index)",
            "\(plural(counts.sessions, "session")), \(plural(counts.heldLocks, "lock")) held on "
                + "\(plural(counts.lockedKeys, "key")) (highest fence \(backup.table.highestFence.rawValue)), "
                + "\(plural(counts.waiters, "waiter")), \(plural(counts.lockDelays, "lock-delay"))",
            "\(plural(backup.table.holdTotal, "hold")), \(plural(counts.auditRecords, "audit record"))",
            "members: voters \(voters.isEmpty ? "none" : voters)" + (learners.isEmpty ? "" : "; learners \(learners)"),
        ]
    }

    private static func plural(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }
}

/// Writes a file so that it is either whole or absent: a temporary file beside it, synced, renamed over the
/// target, and the directory synced.
enum BackupWriter {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func write(_ bytes: [UInt8], to path: String) throws(Failure) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: nil, attributes: [.posixPermissions: 0o600])
        else { throw Failure(description: "cannot create \(temporary) (is \(directory) writable?)") }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            try handle.write(contentsOf: bytes)
            try handle.synchronize()
            try handle.close()
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw Failure(description: "writing \(temporary) failed: \(error.localizedDescription)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw Failure(description: "renaming \(temporary) to \(path) failed: \(reason)")
        }
        let descriptor = open(directory, O_RDONLY)
        if descriptor >= 0 {
            _ = fsync(descriptor)
            close(descriptor)
        }
    }
}
