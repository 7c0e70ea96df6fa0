import ArgumentParser

// Placeholder until the LockTable module lands (issue 5).
struct TableBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "table", abstract: "Lock table apply rate and memory.")
    func run() throws { throw ValidationError("the table benchmark is not built yet") }
}
