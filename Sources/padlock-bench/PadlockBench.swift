import ArgumentParser

/// `padlock-bench`: Padlock's benchmarks, kept apart from the tests. Figures are reported as measured on
/// this machine in this run; compare them only with figures from the same run.
@main
struct PadlockBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "padlock-bench",
        abstract: "Measures Padlock's cluster, storage and lock table.",
        subcommands: [
            LocksBenchmark.self, LatencyBenchmark.self, FailoverBenchmark.self, MemoryBenchmark.self,
            OwnersBenchmark.self, EventsBenchmark.self, StorageBenchmark.self, TableBenchmark.self,
        ],
        defaultSubcommand: LocksBenchmark.self
    )
}
