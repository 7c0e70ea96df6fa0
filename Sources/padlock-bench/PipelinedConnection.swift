import EventLoop
import Foundation
import PadlockClient
import PadlockTypes
import Wire

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking client connection that speaks the wire protocol directly and pipelines requests in batches.
/// The memory benchmark needs far more sessions than a client library instance keeps, so it drives the
/// protocol itself: one batch of requests written at once, then every answer read, in order of arrival.
final class PipelinedConnection {
    private let descriptor: Int32
    private var splitter = FrameSplitter()
    private var nextCorrelation: UInt64 = 1

    /// Connects to `host:port` and completes a client handshake.
    init(host: String, port: Int) throws {
        switch BlockingSocket.openConnection(host: host, port: port) {
        case .success(let descriptor): self.descriptor = descriptor
        case .failure(let failure): throw ValidationFailure("connect to \(host):\(port) failed: \(failure)")
        }
        let hello = Handshake(role: .client, cluster: ClusterID(rawValue: 0), node: NodeID(rawValue: 0))
        try write(FrameSplitter.frame(hello.encoded()))
        guard case .accepted = try HandshakeAnswer(decoding: try readPayload()) else {
            throw ValidationFailure("\(host):\(port) refused the handshake")
        }
    }

    deinit { close(descriptor) }

    /// Sends every operation, then reads as many answers; returns them in the order the operations were given.
    func exchange(_ operations: [ClientOperation]) throws -> [Result<ClientResult, ClientFailure>] {
        var bytes: [UInt8] = []
        let first = nextCorrelation
        for operation in operations {
            let request = ClientRequest(correlation: CorrelationID(nextCorrelation), operation: operation)
            bytes += FrameSplitter.frame(request.encoded())
            nextCorrelation += 1
        }
        try write(bytes)
        var answers = [Result<ClientResult, ClientFailure>?](repeating: nil, count: operations.count)
        for _ in operations {
            let response = try ClientResponse(decoding: try readPayload())
            let slot = Int(response.correlation.rawValue - first)
            guard answers.indices.contains(slot) else {
                throw ValidationFailure("an answer to no request: \(response)")
            }
            answers[slot] = response.outcome
        }
        return answers.map { $0! }
    }

    private func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { throw ValidationFailure("send failed: errno \(errno)") }
            offset += sent
        }
    }

    private func readPayload() throws -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            if let payload = try splitter.nextPayload() { return payload }
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw ValidationFailure("the node closed the connection (errno \(errno))") }
            splitter.append(chunk[0..<count])
        }
    }
}
