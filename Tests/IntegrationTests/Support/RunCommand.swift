import Foundation
import Subprocess
import SystemPackage

/// The output of a finished command.
struct CommandResult {
    var status: Int32
    var output: String
    var errors: String
}

/// A command ran past its time limit and was killed.
struct CommandTimedOut: Error, CustomStringConvertible {
    var command: String
    var timeout: TimeInterval
    var description: String { "\(command) was still running after \(Int(timeout)) s and was killed" }
}

/// Runs `executable` with `arguments` (no standard input, the test's environment plus `environment`) to
/// completion and returns its exit status (or the signal that ended it) with everything it printed. Past
/// `timeout` seconds the child is killed and `CommandTimedOut` thrown.
func runCommand(
    _ executable: URL, _ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 60
) async throws -> CommandResult {
    var updates: [Environment.Key: String?] = [:]
    for (name, value) in environment { updates[Environment.Key(stringLiteral: name)] = value }
    let configuration = Configuration(
        executable: .path(FilePath(executable.path)), arguments: Arguments(arguments),
        environment: .inherit.updating(updates))
    return try await withThrowingTaskGroup(of: CommandResult?.self) { group in
        group.addTask {
            let result = try await run(
                configuration, input: .none, output: .string(limit: 16 << 20), error: .string(limit: 16 << 20))
            let status: Int32 =
                switch result.terminationStatus {
                case .exited(let code), .signaled(let code): code
                }
            return CommandResult(
                status: status, output: result.standardOutput, errors: result.standardError)
        }
        // Cancelling the run (when the deadline wins) makes Subprocess kill the child.
        group.addTask {
            try await Task.sleep(for: .seconds(timeout))
            return nil
        }
        let first = try await group.next() ?? nil
        group.cancelAll()
        guard let first else {
            let command = ([executable.lastPathComponent] + arguments).joined(separator: " ")
            throw CommandTimedOut(command: command, timeout: timeout)
        }
        return first
    }
}
