import ArgumentParser
import Foundation
import Histogram
import PadlockClient

/// `padlock-bench latency`: one client, one request at a time, for each kind of request — a node's own
/// status (no Raft), a fence check (a ReadIndex round, no disk write), and an acquire and a release (each a
/// committed entry: a disk write on a majority). The gaps between them show where a lock's time goes.
struct LatencyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency", abstract: "Round-trip latency of status, fence checks, acquires and releases.")

    @Option(help: "Comma-separated host:port list of the nodes' client ports.") var endpoints: String
    @Option(help: "Requests of each kind.") var count = 2_000

    func run() async throws {
        let list = endpoints.split(separator: ",").map(String.init)
        let client = try await PadlockClient(endpoints: list, owner: "latency@padlock-bench")
        let held = try await client.acquire("bench/latency-held")
        var results: [(String, Histogram<UInt64>)] = []
        results.append(
            (
                "fence check (ReadIndex)",
                try await measure { _ = try await client.checkFence("bench/latency-held", held.fence) }
            ))
        var acquire = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var release = acquire
        for _ in 0..<count {
            let started = ContinuousClock.now
            let lock = try await client.acquire("bench/latency")
            let middle = ContinuousClock.now
            try await lock.release()
            _ = acquire.record(Self.micros(middle - started))
            _ = release.record(Self.micros(ContinuousClock.now - middle))
        }
        results.append(("acquire (one entry)", acquire))
        results.append(("release (one entry)", release))
        try await held.release()
        await client.close()
        for (name, histogram) in results {
            let p = { (q: Double) in String(format: "%.3f", Double(histogram.valueAtPercentile(q)) / 1000) }
            print("\(name): p50 \(p(50)) ms, p90 \(p(90)) ms, p99 \(p(99)) ms over \(histogram.totalCount)")
        }
    }

    private func measure(_ body: () async throws -> Void) async throws -> Histogram<UInt64> {
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        for _ in 0..<count {
            let started = ContinuousClock.now
            try await body()
            _ = histogram.record(Self.micros(ContinuousClock.now - started))
        }
        return histogram
    }

    static func micros(_ duration: Duration) -> UInt64 {
        UInt64(max(0, duration.components.seconds)) * 1_000_000
            + UInt64(max(0, duration.components.attoseconds) / 1_000_000_000_000)
    }
}
