import ArgumentParser

// Placeholder until the Storage module lands (issue 4).
struct StorageBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "storage", abstract: "WAL entries/s and syncs/s.")
    func run() throws { throw ValidationError("the storage benchmark is not built yet") }
}
