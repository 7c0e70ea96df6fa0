import PadlockTypes
import Wire

// Samples of the backup operations and results (protocol v3, docs/wire.md "Backup").

extension WireSamples {
    /// `backup` or `backupChunk`, equally likely.
    static func backupOperation(using random: inout SplitMix64) -> ClientOperation {
        random.chance(50)
            ? .backup : .backupChunk(transfer: random.interestingUInt64(), offset: random.interestingUInt64())
    }

    /// `backupStarted` or `backupChunk`, equally likely; a chunk's data is up to 4 KiB (the fuzzer's frames are
    /// small; the bound itself is checked by the round-trip tests).
    static func backupResult(using random: inout SplitMix64) -> ClientResult {
        if random.chance(50) {
            return .backupStarted(
                BackupInfo(
                    transfer: random.interestingUInt64(), index: random.interestingUInt64(),
                    term: random.interestingUInt64(), clusterID: random.interestingUInt64(),
                    node: random.interestingUInt64(), createdMilliseconds: random.interestingUInt64(),
                    byteCount: random.interestingUInt64()))
        }
        let count = random.below(4_096)
        return .backupChunk(
            BackupChunk(
                transfer: random.interestingUInt64(), offset: random.interestingUInt64(),
                data: (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }))
    }
}
