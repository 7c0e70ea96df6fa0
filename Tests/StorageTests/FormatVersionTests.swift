import Testing

@testable import Storage
@testable import StorageTesting

/// Issue 26, compatibility: an intact log segment or snapshot written by a newer build is refused with a
/// message that names both versions and what to do, never taken for corruption or read as this version.
@Suite struct FormatVersionTests {
    /// Rewrites the version field (offset 8) of `name`'s header to `version` and fixes the header checksum,
    /// which covers the first `checksummed` bytes and is stored right after them: what a newer build writes.
    private func bump(_ directory: TemporaryDirectory, _ name: String, to version: UInt32, checksummed: Int) throws {
        var bytes = try directory.read(name)
        for shift in 0..<4 { bytes[8 + shift] = UInt8(truncatingIfNeeded: version >> (8 * UInt32(shift))) }
        let checksum = CRC32C.checksum(bytes, from: 0, count: checksummed)
        for shift in 0..<4 { bytes[checksummed + shift] = UInt8(truncatingIfNeeded: checksum >> (8 * UInt32(shift))) }
        try directory.write(name, bytes)
    }

    private func expectNewer(_ directory: TemporaryDirectory, _ name: String, _ what: String, found: UInt32) {
        do {
            _ = try FileLogStore(directory: directory.path)
            Issue.record("recovery read a \(what) of format version \(found)")
        } catch let error as StorageError {
            #expect(error.code == .newerFormat, "\(error)")
            #expect(error.path == directory.file(name))
            #expect(error.description.contains("\(what) format version \(found)"), "\(error)")
            #expect(error.description.contains("this build reads version 1"), "\(error)")
            #expect(error.description.contains("restore the node from a backup"), "\(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func aLogSegmentOfANewerFormatIsRefusedNamingBothVersions() throws {
        let directory = try TemporaryDirectory()
        do {
            let store = try FileLogStore(directory: directory.path)
            try store.append(makeEntries(1...4, term: 1), hardState: nil)
        }
        let segment = try #require(try directory.segments().first)
        try bump(directory, segment, to: WALFormat.version + 1, checksummed: 28)
        expectNewer(directory, segment, "log segment", found: WALFormat.version + 1)
    }

    @Test func aSnapshotOfANewerFormatIsRefusedNamingBothVersions() throws {
        let directory = try TemporaryDirectory()
        do {
            let store = try FileLogStore(directory: directory.path)
            try store.append(makeEntries(1...4, term: 1), hardState: nil)
            try store.saveSnapshot(StoredSnapshot(index: 3, term: 1, configuration: [7], data: [1, 2, 3]))
        }
        let name = SnapshotFormat.name(index: 3, term: 1)
        try bump(directory, name, to: SnapshotFormat.version + 1, checksummed: 48)
        expectNewer(directory, name, "snapshot", found: SnapshotFormat.version + 1)
    }

    @Test func aDamagedVersionFieldIsStillCorruptionNotANewerFormat() throws {
        let directory = try TemporaryDirectory()
        do {
            let store = try FileLogStore(directory: directory.path)
            try store.append(makeEntries(1...4, term: 1), hardState: nil)
        }
        let segment = try #require(try directory.segments().first)
        try directory.flipBit(in: segment, at: 9, bit: 2)
        do {
            _ = try FileLogStore(directory: directory.path)
            Issue.record("recovery accepted a damaged header")
        } catch let error as StorageError {
            #expect(error.code == .corruption, "a flipped bit fails the header checksum: \(error)")
        }
    }
}
