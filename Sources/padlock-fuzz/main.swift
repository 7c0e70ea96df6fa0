// padlock-fuzz: feeds seeded random and mutated inputs through every Wire decoder, then through every PeerWire
// decoder and the snapshot assembler, then random and mutated configuration documents through the TOML parser
// and the padlockd settings schema, with the same seed and iteration count; then random well-formed Raft
// messages from authenticated members to a real node (`PeerMessageFuzzer`, one message per ten iterations
// unless --node-messages says otherwise).
//
//     padlock-fuzz [--iterations N] [--seed S] [--node-messages M]
//
// Exits 0 when every input was handled without a crash, every decoded message re-encoded to the same bytes,
// every configuration document was read as written or refused with a positioned, field-naming error, and the
// node kept every guarantee it checks alone; exits 1 on a broken property and 2 on bad arguments. The same
// seed always replays the same inputs.
import ConfigFuzzing
import PadlockTypes
import PeerWireFuzzing
import Simulation
import WireFuzzing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The command line, parsed by hand: the driver takes two numbers and depends on nothing but the codecs.
struct Arguments {
    var iterations = 1_000_000
    var seed: UInt64 = 0x5EED_0F_9AD_10C
    var nodeMessages: Int?

    init(_ arguments: [String]) throws(UsageError) {
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { throw UsageError("\(flag) needs a value") }
            switch flag {
            case "--iterations":
                guard let count = Int(value), count >= 0 else { throw UsageError("bad --iterations \(value)") }
                iterations = count
            case "--node-messages":
                guard let count = Int(value), count >= 0 else { throw UsageError("bad --node-messages \(value)") }
                nodeMessages = count
            case "--seed":
                guard let number = UInt64(value) else { throw UsageError("bad --seed \(value)") }
                seed = number
            default:
                throw UsageError("unknown argument \(flag)")
            }
        }
    }
}

/// A command line the driver does not understand.
struct UsageError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// Prints what one decoder or parser fuzz run saw, under `name`; returns its failure count.
func show<Counts>(_ name: String, _ report: FuzzReport<Counts>) -> Int {
    for failure in report.failures { print("padlock-fuzz: FAILURE (\(name)) \(failure)") }
    print("padlock-fuzz: \(name): \(report)")
    print("padlock-fuzz: \(name) errors seen: \(report.errorSummary)")
    return report.failureCount
}

let arguments: Arguments
do {
    arguments = try Arguments(Array(CommandLine.arguments.dropFirst()))
} catch {
    print("padlock-fuzz: \(error.message)\nusage: padlock-fuzz [--iterations N] [--seed S] [--node-messages M]")
    exit(2)
}

print("padlock-fuzz: seed \(arguments.seed), \(arguments.iterations) iterations")
var failures = show("wire", WireFuzzer.run(seed: arguments.seed, iterations: arguments.iterations))
failures += show("peer", PeerWireFuzzer.run(seed: arguments.seed, iterations: arguments.iterations))
failures += show("config", ConfigFuzzer.run(seed: arguments.seed, iterations: arguments.iterations))

// Ten runs from seeds derived from the one given, so a failure names a short run to replay.
let nodeMessages = arguments.nodeMessages ?? arguments.iterations / 10
for run in 0..<10 where nodeMessages > 0 {
    let seed = arguments.seed &+ UInt64(run)
    let nodeReport = PeerMessageFuzzer.run(seed: seed, messages: max(1, nodeMessages / 10))
    for failure in nodeReport.failures { print("padlock-fuzz: FAILURE (node, seed \(seed)) \(failure)") }
    failures += nodeReport.failures.count
    print("padlock-fuzz: node seed \(seed): \(nodeReport)")
}
if failures > 0 { exit(1) }
