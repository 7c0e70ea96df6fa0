#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Every failure of a log store: what was being done, to which file, where, and the operating system's
/// error number when there is one.
package struct StorageError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    package enum Code: Hashable, Sendable {
        /// A system call failed; `errorNumber` says why.
        case io
        /// The disk is full (`ENOSPC`). The node must stop; `path` names the file that could not grow.
        case noSpace
        /// Stored data failed its checksum or is inconsistent; `path` and `offset` say where.
        case corruption
        /// The requested entries were compacted into a snapshot.
        case compacted
        /// The requested entries are past the end of the log.
        case unavailable
        /// The store was crashed or closed (simulation) and must be reopened.
        case closed
        /// An intact file of a format version newer than this build reads: a newer `padlockd` wrote it.
        case newerFormat
    }

    /// The kind of failure.
    package var code: Code
    /// The operation that failed, e.g. `fdatasync` or `recover`.
    package var operation: String
    /// The file or directory concerned, when there is one.
    package var path: String?
    /// The byte offset in `path`, for corruption.
    package var offset: UInt64?
    /// The `errno` value, for failed system calls.
    package var errorNumber: Int32?
    /// A sentence with the details.
    package var detail: String

    /// Creates an error.
    package init(
        code: Code, operation: String, path: String? = nil, offset: UInt64? = nil,
        errorNumber: Int32? = nil, detail: String = ""
    ) {
        self.code = code
        self.operation = operation
        self.path = path
        self.offset = offset
        self.errorNumber = errorNumber
        self.detail = detail
    }

    /// A system call failure, classified: `ENOSPC` and `EDQUOT` become `.noSpace`.
    package static func system(_ operation: String, path: String, errno number: Int32) -> StorageError {
        let full = number == ENOSPC || number == EDQUOT
        return StorageError(
            code: full ? .noSpace : .io, operation: operation, path: path, errorNumber: number,
            detail: full ? "the disk is full" : String(cString: strerror(number)))
    }

    /// Corruption found at `offset` of `path`.
    static func corrupt(_ path: String, at offset: UInt64, _ detail: String) -> StorageError {
        StorageError(code: .corruption, operation: "recover", path: path, offset: offset, detail: detail)
    }

    /// `path`, intact, holds `what` in format version `found`, newer than the `reads` this build knows.
    static func newerFormat(_ path: String, _ what: String, found: UInt32, reads: UInt32) -> StorageError {
        StorageError(
            code: .newerFormat, operation: "recover", path: path,
            detail: "it holds \(what) format version \(found), written by a newer padlockd; this build reads "
                + "version \(reads). Run the newer build on this data directory (formats are never downgraded "
                + "in place), or restore the node from a backup (docs/operations.md)")
    }

    /// A message for the operator, naming the file and offset.
    package var description: String {
        var text = "storage \(operation) failed"
        if let path { text += " on \(path)" }
        if let offset { text += " at byte offset \(offset)" }
        if let errorNumber { text += " (errno \(errorNumber))" }
        switch code {
        case .noSpace: text += ": no space left on the disk; free space and restart the node"
        case .corruption: text += ": corrupt data (never repaired silently; the node must not start on it)"
        default: break
        }
        return detail.isEmpty ? text : "\(text): \(detail)"
    }
}
