import PadlockTypes
import Testing

@testable import Wire

/// The backup operations and results (protocol v3, docs/wire.md "Backup").
@Suite struct BackupWireTests {
    @Test("A chunk at the bound and a backup's description survive encoding and decoding")
    func roundTrips() throws {
        let data = (0..<WireLimits.backupChunkByteCountMax).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let results: [ClientResult] = [
            .backupChunk(BackupChunk(transfer: 3, offset: 1 << 40, data: data)),
            .backupStarted(
                BackupInfo(
                    transfer: 3, index: 1_234, term: 7, clusterID: .max, node: 2,
                    createdMilliseconds: 1_765_000_000_000,
                    byteCount: 5 << 30)),
        ]
        for result in results {
            let response = ClientResponse(correlation: CorrelationID(9), outcome: .success(result))
            let bytes = response.encoded()
            #expect(bytes.count <= WireLimits.framePayloadByteCountMax)
            #expect(try ClientResponse(decoding: bytes) == response)
        }
        for operation: ClientOperation in [.backup, .backupChunk(transfer: 3, offset: 1_048_576)] {
            let request = ClientRequest(correlation: CorrelationID(4), operation: operation)
            #expect(try ClientRequest(decoding: request.encoded()) == request)
            #expect(operation.requestID == nil)
        }
    }

    @Test("A chunk over the bound is refused, and a version-2 connection does not have the backup operations")
    func refusals() throws {
        var writer = ByteWriter()
        writer.writeVarint(1)
        writer.writeVarint(0)
        writer.writeBytes([UInt8](repeating: 0, count: WireLimits.backupChunkByteCountMax + 1))
        var reader = ByteReader(writer.bytes)
        #expect(throws: DecodeError.self) { try BackupChunk.read(from: &reader) }
        let request = ClientRequest(correlation: CorrelationID(1), operation: .backup).encoded()
        #expect(throws: WireError.self) { try ClientRequest(decoding: request, version: .events) }
        #expect(try ClientRequest(decoding: request, version: .holds).operation == .backup)
    }
}
