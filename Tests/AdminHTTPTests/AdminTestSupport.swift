import AdminHTTP
import EventLoop
import Foundation
import Logging
import PadlockTypes
import Synchronization
import Testing

/// A value shared between a loop thread and the test, guarded by a mutex.
final class Shared<Value: Sendable>: Sendable {
    private let state: Mutex<Value>
    init(_ value: Value) { state = Mutex(value) }
    @discardableResult
    func with<Result: Sendable>(_ body: (inout Value) -> Result) -> Result { state.withLock { body(&$0) } }
    var value: Value { state.withLock { $0 } }
}

/// Starts a loop, runs `body`, then stops the loop and checks that it closed with zero live handles.
@discardableResult
func withLoop<Result>(
    name: String, logger: Logger = Logger(label: "admin-test"),
    _ body: (EventLoop) async throws -> Result
) async throws -> Result {
    let loop = try EventLoop(name: name, logger: logger)
    let result: Result
    do {
        result = try await body(loop)
    } catch {
        loop.stop()
        throw error
    }
    let report = loop.stop()
    #expect(report.isClean, "loop \(name) stopped with \(report.liveHandles) live handles")
    return result
}

/// Polls (off the loop) until `condition` holds; the suite's time limit bounds the wait.
func waitUntil(_ condition: () -> Bool) async {
    while !condition() && !Task.isCancelled {
        try? await Task.sleep(for: .milliseconds(2))
    }
}

/// The package's seeded generator (SplitMix64, in PadlockTypes), so every randomized test replays from its seed.
typealias SeededGenerator = SplitMix64

/// A log handler that keeps every message with its level and metadata.
struct CapturingLogHandler: LogHandler {
    struct Record: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }

    let records: Shared<[Record]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }.mapValues { "\($0)" }
        records.with { $0.append(Record(level: event.level, message: "\(event.message)", metadata: merged)) }
    }
}

/// The client end of a raw TCP connection on a client loop: collects what the server sends and how the
/// connection ended.
struct RawClient: Sendable {
    let loop: EventLoop
    let connection: LoopBound<TCPConnection>
    let received: Shared<[UInt8]>
    /// The count of `received`, to poll without touching a large buffer the loop is appending to.
    let receivedBytes: Shared<Int>
    let closed: Shared<ConnectionClosed?>
    let closedAt: Shared<ContinuousClock.Instant?>

    /// Connects; `onConnect` runs on the client loop as soon as the connection is up, for clients whose
    /// timing must not depend on when the test task gets to run.
    static func connect(
        on loop: EventLoop, port: Int, pausedReading: Bool = false,
        onConnect: @escaping @Sendable (TCPConnection) -> Void = { _ in }
    ) async throws -> RawClient {
        let received = Shared([UInt8]())
        let receivedBytes = Shared(0)
        let closed = Shared<ConnectionClosed?>(nil)
        let closedAt = Shared<ContinuousClock.Instant?>(nil)
        let limits = ConnectionLimits(pausesReadingWhenWriteQueueFull: false, framing: .raw)
        let connection = try await withCheckedThrowingContinuation { continuation in
            let answer = loop.post {
                loop.connect(host: "127.0.0.1", port: port, timeout: .seconds(5), limits: limits) { result in
                    switch result {
                    case .success(let connection):
                        if pausedReading { connection.pauseReading() }
                        connection.onFrame = { chunk in
                            received.with { $0 += chunk }
                            receivedBytes.with { $0 += chunk.count }
                        }
                        connection.onClose = { event in
                            closedAt.with { $0 = .now }
                            closed.with { $0 = event }
                        }
                        onConnect(connection)
                        continuation.resume(returning: LoopBound(connection, loop: loop))
                    case .failure(let error):
                        continuation.resume(throwing: error)
                    }
                }
            }
            if answer != .accepted { continuation.resume(throwing: MailboxRefusal.overloaded) }
        }
        return RawClient(
            loop: loop, connection: connection, received: received, receivedBytes: receivedBytes,
            closed: closed, closedAt: closedAt)
    }

    func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) async throws {
        let connection = connection
        let answer = try await loop.submit { connection.value.send(bytes) }
        #expect(answer == .queued)
    }

    func resumeReading() async throws {
        let connection = connection
        try await loop.submit { connection.value.resumeReading() }
    }

    func close() async throws {
        let connection = connection
        try await loop.submit { connection.value.close() }
    }

    /// What arrived so far, as text.
    var text: String { String(decoding: received.value, as: UTF8.self) }

    /// Waits until `count` complete responses arrived (or the connection closed) and returns them.
    func responses(_ count: Int, headRequests: Set<Int> = []) async -> [ParsedResponse] {
        await waitUntil {
            ParsedResponse.parseAll(received.value, headRequests: headRequests).count >= count || closed.value != nil
        }
        return ParsedResponse.parseAll(received.value, headRequests: headRequests)
    }

    /// Waits until the server closed the connection.
    func waitForClose() async -> ConnectionClosed? {
        await waitUntil { closed.value != nil }
        return closed.value
    }
}

/// A response as the test client reads it back.
struct ParsedResponse: Sendable, Equatable {
    let status: Int
    let headers: [String: String]
    let body: String

    /// Splits a byte stream into responses; `headRequests` lists the indexes of responses to `HEAD`
    /// requests, which announce a length but carry no body.
    static func parseAll(_ bytes: [UInt8], headRequests: Set<Int> = []) -> [ParsedResponse] {
        var responses: [ParsedResponse] = []
        var rest = bytes[...]
        while let end = headEnd(rest) {
            let headText = String(decoding: rest[rest.startIndex..<end], as: UTF8.self)
            var lines = headText.components(separatedBy: "\r\n")
            let statusLine = lines.removeFirst().split(separator: " ")
            guard statusLine.count >= 2, let status = Int(statusLine[1]) else { break }
            var headers: [String: String] = [:]
            for line in lines {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                headers[line[..<colon].lowercased()] = value
            }
            let bodyStart = end + 4
            let length = headRequests.contains(responses.count) ? 0 : Int(headers["content-length"] ?? "0") ?? 0
            guard rest.endIndex - bodyStart >= length else { break }
            let body = String(decoding: rest[bodyStart..<(bodyStart + length)], as: UTF8.self)
            responses.append(ParsedResponse(status: status, headers: headers, body: body))
            rest = rest[(bodyStart + length)...]
        }
        return responses
    }

    private static func headEnd(_ bytes: ArraySlice<UInt8>) -> Int? {
        let terminator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4 else { return nil }
        return (bytes.startIndex...(bytes.endIndex - 4)).first { bytes[$0..<($0 + 4)].elementsEqual(terminator) }
    }
}
