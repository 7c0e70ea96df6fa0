import Wire

// Online backup for the `padlock backup` command (docs/operations.md, "Back up a running cluster"). Package
// access only: the file format lives in `Node`, which the library does not link.

extension PadlockClient {
    /// Asks the leader for a backup of the replicated state at an applied (committed) index, then pulls its
    /// body chunk by chunk on this client's connection to that leader. `progress` is told the bytes received
    /// so far and the total after each chunk. Admin clients only.
    ///
    /// - Throws: `permissionDenied` for a client without the admin role; `invalidArgument` when the node
    ///   dropped the transfer (leadership moved, the connection broke, or it sat idle a minute): take it again.
    package func backup(
        progress: (_ received: UInt64, _ total: UInt64) -> Void = { _, _ in }
    ) async throws(PadlockError) -> (info: BackupInfo, body: [UInt8]) {
        let answer = try await read(.backup, "backup")
        guard case .backupStarted(let info) = answer else { throw Self.unexpected(answer, "backup") }
        var body: [UInt8] = []
        body.reserveCapacity(Int(clamping: info.byteCount))
        while UInt64(body.count) < info.byteCount {
            let offset = UInt64(body.count)
            let next = try await read(.backupChunk(transfer: info.transfer, offset: offset), "backup")
            guard case .backupChunk(let chunk) = next, chunk.transfer == info.transfer, chunk.offset == offset,
                !chunk.data.isEmpty, offset + UInt64(chunk.data.count) <= info.byteCount
            else {
                throw .unavailable(
                    "the node answered backup transfer \(info.transfer) at offset \(offset) with \(next); take the "
                        + "backup again")
            }
            body += chunk.data
            progress(UInt64(body.count), info.byteCount)
        }
        // Past the end: tells the node it may drop the transfer now rather than when the connection closes.
        _ = try? await read(.backupChunk(transfer: info.transfer, offset: info.byteCount), "backup")
        return (info, body)
    }
}
