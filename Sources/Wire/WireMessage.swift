import PadlockTypes

/// The first byte of every frame payload: which message the rest of the payload holds.
///
/// Tags are fixed forever; Raft's peer messages will take new tags from 16 up.
package enum MessageKind: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// ``Handshake``: the first message of every connection.
    case handshake = 1
    /// ``HandshakeAnswer``: the server's reply to it.
    case handshakeAnswer = 2
    /// ``ClientRequest``.
    case clientRequest = 3
    /// ``ClientResponse``.
    case clientResponse = 4
    /// ``ClientEvent``: sent by a leader unasked (protocol v2).
    case clientEvent = 5

    /// The kind's name, for logs and errors.
    package var description: String {
        switch self {
        case .handshake: "handshake"
        case .handshakeAnswer: "handshake answer"
        case .clientRequest: "client request"
        case .clientResponse: "client response"
        case .clientEvent: "client event"
        }
    }
}

/// Any one message that can travel in a frame payload, for code that does not know in advance which to expect
/// (the fuzz driver, traffic dumps). A connection that knows its state decodes the one kind it expects.
package enum WireMessage: Hashable, Sendable {
    /// A handshake.
    case handshake(Handshake)
    /// A handshake answer.
    case handshakeAnswer(HandshakeAnswer)
    /// A client request.
    case clientRequest(ClientRequest)
    /// A client response.
    case clientResponse(ClientResponse)
    /// An event a leader sent unasked.
    case clientEvent(ClientEvent)

    /// The message's kind byte.
    package var kind: MessageKind {
        switch self {
        case .handshake: .handshake
        case .handshakeAnswer: .handshakeAnswer
        case .clientRequest: .clientRequest
        case .clientResponse: .clientResponse
        case .clientEvent: .clientEvent
        }
    }

    /// Decodes a whole frame payload of any kind, or says exactly what is wrong with it.
    package init(decoding payload: [UInt8]) throws(WireError) {
        self = try decodePayload(payload) { reader in
            switch try reader.readEnum(MessageKind.self) {
            case .handshake: .handshake(try Handshake.read(from: &reader))
            case .handshakeAnswer: .handshakeAnswer(try HandshakeAnswer.read(from: &reader))
            case .clientRequest: .clientRequest(try ClientRequest.read(from: &reader))
            case .clientResponse: .clientResponse(try ClientResponse.read(from: &reader))
            case .clientEvent: .clientEvent(try ClientEvent.read(from: &reader))
            }
        }
    }

    /// The frame payload: the kind byte, then the message body.
    package func encoded() -> [UInt8] {
        switch self {
        case .handshake(let message): message.encoded()
        case .handshakeAnswer(let message): message.encoded()
        case .clientRequest(let message): message.encoded()
        case .clientResponse(let message): message.encoded()
        case .clientEvent(let message): message.encoded()
        }
    }
}

/// A message body that knows its kind and reads and writes itself on the primitive codec: ``Handshake``,
/// ``HandshakeAnswer``, ``ClientRequest`` and ``ClientResponse``, each decoded from and encoded to a whole frame
/// payload by the members below.
///
/// `read` throws untyped because bodies raise both ``PadlockTypes/DecodeError`` (from the reader) and
/// ``WireError`` (bad keys, magic, versions); ``decodePayload(_:_:)`` folds both into ``WireError``.
package protocol WireBody {
    /// The kind byte in front of the body.
    static var kind: MessageKind { get }
    /// Writes the body, without its kind byte.
    func write(to writer: inout ByteWriter)
    /// Reads a body, its kind byte already read.
    static func read(from reader: inout ByteReader) throws -> Self
}

extension WireBody {
    /// Decodes a frame payload that must hold this kind of message and nothing after it; keys are validated,
    /// text is bounded, and a handshake must be of this build's protocol version.
    package init(decoding payload: [UInt8]) throws(WireError) {
        self = try decodePayload(payload) { reader in
            let received = try reader.readEnum(MessageKind.self)
            guard received == Self.kind else { throw WireError.unexpectedKind(expected: Self.kind, received: received) }
            return try Self.read(from: &reader)
        }
    }

    /// The frame payload: the kind byte, then the body.
    package func encoded() -> [UInt8] {
        ByteWriter.tagged(Self.kind, capacity: 128) { write(to: &$0) }
    }
}

/// Runs `body` over `payload`, requires that it reads every byte, and folds every failure into ``WireError``.
func decodePayload<Value>(
    _ payload: [UInt8], _ body: (inout ByteReader) throws -> Value
) throws(WireError) -> Value {
    try ByteReader.decodingAll(payload, malformed: WireError.malformed, body)
}
