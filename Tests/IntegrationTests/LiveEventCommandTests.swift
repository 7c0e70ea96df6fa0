import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 21 through the CLI against a real cluster: the holder's command is stopped when an administrator
/// force-unlocks its key, `padlock watch --json` follows a key, and `padlock lock --wait` says its place in
/// line. No assertion on elapsed time (a loaded machine may be slow); the delays are printed for the record.
@Suite(.serialized) struct LiveEventCommandTests {
    @Test("A force-unlock stops the holder's command at once, saying who and why, and padlock exits 7")
    func forceUnlockStopsTheCommand() async throws {
        let cluster = try LocalCluster(nodes: 1)
        defer { cluster.stop() }
        // A TTL of an hour: without the notice, the command would run for as long as the session lives.
        let cli = try StartedCLI(
            cluster,
            [
                "lock", "it/live/77", "--owner", "alice@frontend-2", "--ttl", "1h", "--grace", "120s", "--", "sleep",
                "600",
            ])
        defer { cli.kill() }
        try cli.waitForOutput("locked it/live/77")
        let sleeper = try cli.child(named: "sleep")

        let unlock = try await cluster.cli(["unlock", "--force", "it/live/77", "--reason", "customer called"])
        #expect(unlock.status == 0, "\(unlock.output)\(unlock.errors)")
        let unlocked = ContinuousClock.now
        let exit = cli.waitForExit(timeout: 60)
        let stopped = ContinuousClock.now - unlocked
        #expect(
            exit == 7, "padlock exits 7 when the lock is lost: \(exit.map(String.init) ?? "running")\n\(cli.errors)")
        #expect(!isAlive(sleeper), "sleep (pid \(sleeper)) survived the force-unlock")
        #expect(cli.errors.contains("force-unlocked by"), "the notice names who: \(cli.errors)")
        #expect(cli.errors.contains("customer called"), "and why: \(cli.errors)")
        print("force-unlock to the holder's exit: \(stopped)")
    }

    @Test("`padlock watch --json` reports free, then held, then free again after the release")
    func watchFollowsTheKey() async throws {
        let cluster = try LocalCluster(nodes: 1)
        defer { cluster.stop() }
        let watch = try StartedCLI(cluster, ["watch", "it/live/watched", "--json"])
        defer { watch.kill() }
        try watch.waitForOutput(#""state":"free""#)

        let holder = try StartedCLI(
            cluster,
            ["lock", "it/live/watched", "--owner", "bob@frontend-1", "--note", "editing", "--", "sleep", "600"])
        defer { holder.kill() }
        try holder.waitForOutput("locked it/live/watched")
        let held = try watch.waitForOutput(#""state":"held""#)
        #expect(held.contains(#""owner":"bob@frontend-1""#) && held.contains(#""note":"editing""#), "\(held)")

        let released = ContinuousClock.now
        kill(holder.process.processIdentifier, SIGTERM)
        #expect(holder.waitForExit(timeout: 60) != nil, "the holder ended")
        try watch.waitForOutput(#""state":"free""#, after: held)
        print("release to the watcher's free line: \(ContinuousClock.now - released)")
        let states = watch.output.split(separator: "\n").compactMap { line in
            ["free", "held"].first { line.contains(#""state":"\#($0)""#) }
        }
        #expect(states == ["free", "held", "free"], "\(watch.output)")
        kill(watch.process.processIdentifier, SIGINT)
        #expect(watch.waitForExit(timeout: 60) == 0, "Ctrl-C ends the watch cleanly: \(watch.errors)")
    }

    @Test("`padlock lock --wait` says its place in line, then takes the lock once it is released")
    func waitSaysItsPlaceInLine() async throws {
        let cluster = try LocalCluster(nodes: 1)
        defer { cluster.stop() }
        let first = try StartedCLI(cluster, ["lock", "it/live/queue", "--owner", "carol", "--", "sleep", "600"])
        defer { first.kill() }
        try first.waitForOutput("locked it/live/queue")
        let second = try StartedCLI(
            cluster, ["lock", "it/live/queue", "--owner", "dave", "--wait", "5m", "--", "true"])
        defer { second.kill() }
        try second.waitForOutput("waiting for it/live/queue: 1st in line")
        kill(first.process.processIdentifier, SIGTERM)
        try second.waitForOutput("locked it/live/queue")
        #expect(second.waitForExit(timeout: 60) == 0, "\(second.output)\(second.errors)")
    }
}
