import PadlockTypes

/// Why a frame or a message could not be decoded.
///
/// Every decoder in this module throws only this type; no input makes one trap. On a live connection any of
/// these closes that connection with the description as the logged reason.
package enum WireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The bytes break the primitive encoding: truncated, an overlong varint, invalid UTF-8, an unknown tag
    /// (including an unknown message kind), a length over its bound, or bytes left after the message.
    case malformed(DecodeError)
    /// A key field holds a string that is not a valid ``PadlockTypes/LockKey``.
    case invalidKey(offset: Int, KeyError)
    /// A handshake does not start with ``Handshake/magic``: the peer does not speak Padlock.
    case wrongMagic(received: [UInt8])
    /// A handshake speaks another protocol version than this build.
    case versionMismatch(received: ProtocolVersion, supported: ProtocolVersion)
    /// A well-formed message of another kind than the decoder expected, such as a response sent to a server.
    case unexpectedKind(expected: MessageKind, received: MessageKind)
    /// A frame's length prefix announces more than the configured maximum payload size.
    case frameTooLarge(length: UInt64, maximum: Int)
    /// A request's trace context holds an empty `traceparent`, or a byte that is not visible ASCII; the
    /// offset is the field's length prefix. (Too long a field is ``malformed(_:)`` with `lengthTooLarge`.)
    case invalidTraceContext(offset: Int, String)

    /// A sentence naming what was wrong, for logs.
    package var description: String {
        switch self {
        case .malformed(let error):
            "malformed message: \(error)"
        case .invalidKey(let offset, let error):
            "invalid key at byte \(offset): \(error)"
        case .wrongMagic(let received):
            "not a Padlock handshake: magic bytes \(received) instead of \(Handshake.magic)"
        case .versionMismatch(let received, let supported):
            "protocol version \(received) received, but this node speaks \(supported); upgrade the older side"
        case .unexpectedKind(let expected, let received):
            "expected a \(expected) message, received a \(received) message"
        case .frameTooLarge(let length, let maximum):
            "frame of \(length) bytes announced, but at most \(maximum) are accepted"
        case .invalidTraceContext(let offset, let what):
            "invalid trace context at byte \(offset): \(what)"
        }
    }
}
