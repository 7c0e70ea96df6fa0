import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Packet-level network faults on the loopback interface of the run's own network namespace: packets dropped
/// by nftables rules (all of them, or a random share, in one direction or both), and links slowed by a tc htb
/// class. Where a `FaultProxy` cuts a TCP stream (bytes stop, or the connection is reset), these work below
/// TCP: the kernel's retransmissions and backoff decide what the nodes see and when a link comes back, as on a
/// real network.
///
/// Only inside a namespace of its own (`NetworkNamespace`): there every address is the run's and the rules and
/// the qdisc go with the namespace, so a run never touches the machine's own loopback.
struct PacketFaults: Sendable {
    /// The variable that names the namespace a run was started in; set only by padlock-chaos itself.
    static let namespaceVariable = "PADLOCK_CHAOS_NETNS"
    private static let table = "inet padlock_chaos"

    /// Why packet faults cannot run here, or nil when they can.
    static func unavailableReason() -> String? {
        guard ProcessInfo.processInfo.environment[namespaceVariable] != nil else {
            return "not in a network namespace of the run's own (needs root and ip; see chaos/README.md)"
        }
        guard run("nft list tables").status == 0 else { return "nft (Debian's nftables) is missing or refused" }
        return nil
    }

    /// Drops packets whose TCP port matches one of `matches` (every TCP packet when `matches` is nil), each
    /// with probability `percent` %. Returns an error message when a command was refused (nothing is left
    /// applied then).
    func drop(percent: Int, matching matches: [PortMatch]?) -> String? {
        let chance = percent >= 100 ? "" : "numgen random mod 100 '<' \(percent) "
        let rules = (matches ?? [PortMatch(field: "", port: 0)]).map { match in
            let what = match.port == 0 ? "meta l4proto tcp" : "tcp \(match.field) \(match.port)"
            return "nft add rule \(Self.table) out \(what) \(chance)counter drop"
        }
        return apply(
            [
                "nft add table \(Self.table)",
                "nft add chain \(Self.table) out '{ type filter hook output priority 0; policy accept; }'",
            ] + rules)
    }

    /// Sends packets whose TCP port matches one of `matches` through an htb class limited to `kilobits` per
    /// second with a 100-packet queue: a congested link, whose queueing delay grows with the traffic.
    func limit(kilobits: Int, matching matches: [PortMatch]) -> String? {
        apply(
            [
                "tc qdisc add dev lo root handle 1: htb default 10",
                "tc class add dev lo parent 1: classid 1:10 htb rate 40gbit quantum 200000",
                "tc class add dev lo parent 1: classid 1:20 htb rate \(kilobits)kbit ceil \(kilobits)kbit",
                "tc qdisc add dev lo parent 1:20 handle 20: pfifo limit 100",
            ]
                + matches.map { match in
                    "tc filter add dev lo parent 1: protocol ip prio 1 u32 match ip \(match.field) \(match.port) 0xffff flowid 1:20"
                })
    }

    /// Every packet passes again. Returns what the fault did to packets, from the rules' counters and the
    /// slow class's statistics (for the report: evidence that the fault bit).
    @discardableResult
    func clear() -> String {
        var effects: [String] = []
        let rules = Self.run("nft list table \(Self.table)")
        if rules.status == 0 {
            let dropped = rules.output.split(separator: "\n").compactMap { line in
                line.split(separator: " ").drop { $0 != "packets" }.dropFirst().first.flatMap { Int($0) }
            }
            effects.append("\(dropped.reduce(0, +)) packets dropped")
            _ = Self.run("nft delete table \(Self.table)")
        }
        let classes = Self.run("tc -s class show dev lo classid 1:20")
        if classes.status == 0, let sent = classes.output.range(of: "Sent ") {
            let statistics = classes.output[sent.upperBound...].prefix { $0 != ")" }
            effects.append("slow class sent \(statistics))")
        }
        _ = Self.run("tc qdisc del dev lo root")
        return effects.joined(separator: ", ")
    }

    private func apply(_ commands: [String]) -> String? {
        clear()
        for command in commands {
            let result = Self.run(command)
            if result.status != 0 {
                clear()
                return "`\(command)` failed (\(result.status)): \(result.output)"
            }
        }
        return nil
    }

    private static func run(_ command: String) -> (status: Int32, output: String) {
        runShell(withSystemPath(command))
    }
}

/// Packets with this TCP source (`sport`) or destination (`dport`) port.
struct PortMatch: Sendable {
    var field: String
    var port: Int

    static func either(_ port: Int) -> [PortMatch] {
        [PortMatch(field: "sport", port: port), PortMatch(field: "dport", port: port)]
    }
}

/// A Linux network namespace of the run's own, with only a loopback interface: the nodes, proxies and clients
/// of the run talk over it, and the packet fault changes its rules and qdisc without touching the machine's.
enum NetworkNamespace {
    /// Runs this same command again inside a new namespace and returns its exit status, or returns nil when
    /// this process should go on where it is: it is inside one already, or cannot make one (not root, no
    /// `ip`), in which case the packet fault is skipped and the report says why.
    static func runInside() throws -> Int32? {
        let environment = ProcessInfo.processInfo.environment
        guard environment[PacketFaults.namespaceVariable] == nil, getuid() == 0 else { return nil }
        let name = "padlock-chaos-\(getpid())"
        guard shell(withSystemPath("ip netns add \(name) && ip -n \(name) link set lo up")) == 0 else {
            _ = shell(withSystemPath("ip netns del \(name)"))
            progress("cannot make a network namespace (ip netns add): the packet fault will be skipped")
            return nil
        }
        defer { _ = shell(withSystemPath("ip netns del \(name)")) }
        progress("running in network namespace \(name)")
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments =
            ["-c", withSystemPath("exec ip netns exec \"$0\" \"$@\""), name, me] + CommandLine.arguments.dropFirst()
        var childEnvironment = environment
        childEnvironment[PacketFaults.namespaceVariable] = name
        process.environment = childEnvironment
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// `command` with the system directories first in PATH: ip, nft and tc live in /usr/sbin, which a non-login
/// shell's PATH may lack.
private func withSystemPath(_ command: String) -> String { "PATH=/usr/sbin:/sbin:$PATH; " + command }
