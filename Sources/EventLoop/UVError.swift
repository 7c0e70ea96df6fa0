import CLibUV

/// A failure reported by libuv, translated once at the `EventLoop` boundary.
///
/// libuv reports errors as negative `int` status codes. Nothing outside this module sees those integers:
/// every call that can fail turns its status into a `UVError` right where it returns, keeping the code
/// (for comparisons), libuv's symbolic name (`ECONNREFUSED`) and its human-readable message.
public struct UVError: Error, Hashable, Sendable, CustomStringConvertible {
    /// libuv's negative status code, kept for equality; callers compare against the named constants.
    public let code: Int32
    /// The symbolic name of the error, such as `ECONNREFUSED`.
    public let name: String
    /// A short human-readable message, such as "connection refused".
    public let message: String

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
    public var description: String { "\(name): \(message)" }

    /// Two errors are equal when their codes are; name and message follow from the code.
    public static func == (lhs: UVError, rhs: UVError) -> Bool { lhs.code == rhs.code }

    /// Hashes the code only, consistently with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}

extension UVError {
    /// The peer refused the connection (nothing listens on that port).
    public static let connectionRefused = UVError(status: UV_ECONNREFUSED.rawValue)
    /// The peer reset the connection.
    public static let connectionReset = UVError(status: UV_ECONNRESET.rawValue)
    /// An operation did not finish before its deadline (for example a connect with a timeout).
    public static let timedOut = UVError(status: UV_ETIMEDOUT.rawValue)
    /// The operation was cancelled because its handle was closed first.
    public static let cancelled = UVError(status: UV_ECANCELED.rawValue)
    /// The address is already in use.
    public static let addressInUse = UVError(status: UV_EADDRINUSE.rawValue)
    /// The argument (for example a malformed address) is invalid.
    public static let invalidArgument = UVError(status: UV_EINVAL.rawValue)
    /// The end of the stream was reached.
    public static let endOfFile = UVError(status: UV_EOF.rawValue)
    /// The process has no file descriptor left (its `RLIMIT_NOFILE`).
    public static let tooManyOpenFiles = UVError(status: UV_EMFILE.rawValue)
    /// The system's file table is full.
    public static let fileTableOverflow = UVError(status: UV_ENFILE.rawValue)
}
