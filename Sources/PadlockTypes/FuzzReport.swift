/// The counts one fuzzer keeps of its own, beside the ones every ``FuzzReport`` keeps; its description is
/// the middle of the report's summary line.
package protocol FuzzCounts: Sendable, CustomStringConvertible {
    /// All counts zero.
    init()
}

/// What one fuzz run saw: the inputs fed, the fuzzer's own ``FuzzCounts``, the broken properties and the
/// errors raised. The Wire, peer-wire and configuration fuzzers share it, so `padlock-fuzz` prints them alike.
///
/// The fuzzer's own counts read and write as the report's properties (`report.decodedCount += 1`).
@dynamicMemberLookup
package struct FuzzReport<Counts: FuzzCounts>: Sendable, CustomStringConvertible {
    /// Inputs fed to the decoders or parsers.
    package var inputCount = 0
    /// What this fuzzer counts of its own.
    package var counts = Counts()
    /// Broken properties, such as a decoded input that re-encodes differently or a valid input refused. Any
    /// one is a bug.
    package var failureCount = 0
    /// The first few failures, described with the input that caused them.
    package var failures: [String] = []
    /// How often each kind of error was raised, by name: shows how deep inputs got.
    package var errorCounts: [String: Int] = [:]

    /// An empty report.
    package init() {}

    /// One of the fuzzer's own counts.
    package subscript<Value>(dynamicMember keyPath: WritableKeyPath<Counts, Value>) -> Value {
        get { counts[keyPath: keyPath] }
        set { counts[keyPath: keyPath] = newValue }
    }

    /// Counts a broken property, keeping the description of the first ten.
    package mutating func recordFailure(_ description: @autoclosure () -> String) {
        failureCount += 1
        if failures.count < 10 { failures.append(description()) }
    }

    /// Counts one error of kind `name`.
    package mutating func countError(_ name: String) { errorCounts[name, default: 0] += 1 }

    /// Counts one error of kind `name`, and describes one in eight (by the input's `sample` number, such as its
    /// length or position): describing an error is part of the contract too, since logs print it for every
    /// closed connection, so it must not trap either.
    package mutating func countError(_ name: String, describing error: some CustomStringConvertible, sample: Int) {
        if sample % 8 == 0 { _ = error.description }
        countError(name)
    }

    /// The summary line the fuzz driver prints.
    package var description: String { "\(inputCount) inputs, 0 crashes, \(counts), \(failureCount) failures" }

    /// The error counts by name, in name order, as the fuzz driver prints them.
    package var errorSummary: String {
        errorCounts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }
}
