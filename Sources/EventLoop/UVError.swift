import CLibUV

/// A failure reported by libuv, translated once at the `EventLoop` boundary.
///
/// libuv reports errors as negative `int` status codes. Nothing outside this module sees those integers:
/// every call that can fail turns its status into a `UVError` right where it returns, keeping the code
/// (for comparisons), libuv's symbolic name (`ECONNREFUSED`) and its human-readable message.
package struct UVError: Error, Hashable, Sendable, CustomStringConvertible {
    /// libuv's negative status code, kept for equality; callers compare against the named constants.
    package let code: Int32
    /// The symbolic name of the error, such as `ECONNREFUSED`.
    package let name: String
    /// A short human-readable message, such as "connection refused".
    package let message: String

    /// Wraps a negative libuv status code.
    init(status: Int32) {
        precondition(status < 0, "UVError made from non-error status \(status)")
        self.code = status
        self.name = String(cString: uv_err_name(status))
        self.message = String(cString: uv_strerror(status))
    }

    /// Throws when `status` is a libuv failure (negative) and returns the non-negative value otherwise.
    @discardableResult
    static func check(_ status: Int32) throws(UVError) -> Int32 {
        if status < 0 { throw UVError(status: status) }
        return status
    }

    /// A textual form such as `ECONNREFUSED: connection refused`.
    package var description: String { "\(name): \(message)" }

    /// Two errors are equal when their codes are; name and message follow from the code.
    package static func == (lhs: UVError, rhs: UVError) -> Bool { lhs.code == rhs.code }

    /// Hashes the code only, consistently with `==`.
    package func hash(into hasher: inout Hasher) { hasher.combine(code) }
}

extension UVError {
    /// The peer refused the connection (nothing listens on that port).
    package static let connectionRefused = UVError(status: UV_ECONNREFUSED.rawValue)
    /// The peer reset the connection.
    package static let connectionReset = UVError(status: UV_ECONNRESET.rawValue)
    /// An operation did not finish before its deadline (for example a connect with a timeout).
    package static let timedOut = UVError(status: UV_ETIMEDOUT.rawValue)
    /// The operation was cancelled because its handle was closed first.
    package static let cancelled = UVError(status: UV_ECANCELED.rawValue)
    /// The address is already in use.
    package static let addressInUse = UVError(status: UV_EADDRINUSE.rawValue)
    /// The argument (for example a malformed address) is invalid.
    package static let invalidArgument = UVError(status: UV_EINVAL.rawValue)
    /// The end of the stream was reached.
    package static let endOfFile = UVError(status: UV_EOF.rawValue)
    /// The process has no file descriptor left (its `RLIMIT_NOFILE`).
    package static let tooManyOpenFiles = UVError(status: UV_EMFILE.rawValue)
    /// The system's file table is full.
    package static let fileTableOverflow = UVError(status: UV_ENFILE.rawValue)
}
