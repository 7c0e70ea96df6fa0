import EventLoop
import Foundation
import Logging
import Node
import Storage

/// Runs one `padlockd` until it is told to stop: prepares the data directory, recovers the log store, starts
/// the runtime on its own loop thread, waits for SIGTERM/SIGINT (or a fatal storage error), then finishes
/// the disk writes already queued, closes everything and returns the exit code.
package enum ServerHost {
    /// Exit codes: 0 after a clean shutdown, 1 when the node stopped on a storage error or could not
    /// recover its data, 2 when the configuration (or the data directory it names) cannot be used.
    package static func run(settings: ServerSettings, logger: Logger) -> Int32 {
        var settings = settings
        raiseDescriptorLimit(logger: logger)
        do {
            let start: DataDirectory.Start = settings.join ? .join : settings.bootstrap ? .bootstrap : .existingOnly
            let prepared = try DataDirectory.prepare(
                path: settings.dataDirectory, clusterID: settings.clusterID, nodeID: settings.nodeID, start: start)
            if let note = prepared.note { logger.notice("data directory", metadata: ["detail": "\(note)"]) }
            settings.incarnation = prepared.incarnation
        } catch {
            logger.critical("invalid data directory", metadata: ["reason": "\(error)"])
            return 2
        }
        let tightened = DataDirectory.tighten(path: settings.dataDirectory)
        if !tightened.isEmpty {
            logger.warning(
                "data directory was readable by others; permissions tightened",
                metadata: ["dataDir": "\(settings.dataDirectory)", "changed": "\(tightened)"])
        }
        let store: FileLogStore
        let restored: RestoredState
        do {
            let started = ContinuousClock.now
            store = try FileLogStore(directory: settings.dataDirectory)
            if let tail = store.recovered.discardedTail {
                logger.notice("recovery", metadata: ["discarded": "\(tail)"])
            }
            let opened = ContinuousClock.now
            restored = try NodeRestore.load(from: store, configuration: settings.nodeConfiguration)
            // How long a restart spends where: operators size restarts by this (docs/operations.md).
            logger.notice(
                "recovered",
                metadata: [
                    "logOpenMs": "\(milliseconds(opened - started))",
                    "restoreMs": "\(milliseconds(ContinuousClock.now - opened))",
                    "snapshotIndex": "\(store.recovered.snapshotIndex ?? 0)", "lastIndex": "\(store.lastIndex)",
                ])
        } catch {
            logger.critical(
                "cannot recover the data directory; the node will not start", metadata: ["reason": "\(error)"])
            // An impossible term or index needs an operator; restarting would only refuse it again.
            if case .impossibleState? = error as? NodeFailure { return 2 }
            return 1
        }
        return serve(settings: settings, store: store, restored: restored, logger: logger)
    }

    private static func serve(
        settings: ServerSettings, store: FileLogStore, restored: RestoredState, logger: Logger
    ) -> Int32 {
        let loop: EventLoop
        do {
            loop = try EventLoop(name: "padlockd-\(settings.nodeID)", mailboxCapacity: 65_536, logger: logger)
        } catch {
            logger.critical("cannot start the event loop", metadata: ["reason": "\(error)"])
            return 1
        }
        let disk = DiskThread(loop: loop, name: "padlockd-disk")
        // Encodes the node's snapshots, so that neither the loop nor the log's writes wait for a large table.
        let encoder = DiskThread(loop: loop, name: "padlockd-encode", capacity: 4)
        let outcome = ExitSignal()
        let bundle = StartBundle(store: store, restored: restored)
        let accepted = loop.post {
            let environment = LoopEnvironment(
                loop: loop, disk: disk, encoder: encoder, store: bundle.store, logger: logger)
            do {
                let runtime = try NodeRuntime(
                    settings: settings, loop: loop, environment: environment, logger: logger,
                    restored: bundle.restored, seed: UInt64.random(in: 1...UInt64.max), finished: outcome.finish)
                try runtime.start()
                outcome.keep(LoopBound(runtime, loop: loop))
            } catch let error as StartupError {
                logger.critical("padlockd cannot start", metadata: ["reason": "\(error.message)"])
                outcome.finish(error.exitCode)
            } catch {
                outcome.finish(1)
            }
        }
        guard accepted == .accepted else { return 1 }
        let code = outcome.wait()
        // Writes already queued complete (their callbacks run while the loop drains its mailbox).
        disk.stop()
        encoder.stop()
        let report = loop.stop()
        if !report.isClean {
            logger.warning("event loop stopped with live handles", metadata: ["handles": "\(report.liveHandles)"])
        }
        logger.notice("padlockd stopped", metadata: ["exitCode": "\(code)"])
        return code
    }
}

/// Raises the soft descriptor limit to the hard one, so that a flood of connections meets padlockd's own
/// limits (which shed strangers first) before the system's; logs the limit it runs with.
private func raiseDescriptorLimit(logger: Logger) {
    guard let raised = FileDescriptors.raiseSoftLimit() else {
        logger.warning("cannot read the file descriptor limit (RLIMIT_NOFILE)")
        return
    }
    var metadata: Logger.Metadata = [
        "soft": "\(raised.soft)", "hard": "\(raised.hard)", "before": "\(raised.previous)",
    ]
    if let failure = raised.failure {
        metadata["reason"] = "\(failure)"
        logger.warning("cannot raise the file descriptor limit to the hard limit", metadata: metadata)
    } else if raised.soft < 4_096 {
        metadata["hint"] = "raise the hard limit (LimitNOFILE= in systemd, ulimit -Hn) for many clients"
        logger.notice("file descriptor limit", metadata: metadata)
    } else {
        logger.notice("file descriptor limit", metadata: metadata)
    }
}

/// The recovered store and state, handed to the loop thread once (the main thread no longer uses them).
private struct StartBundle: @unchecked Sendable {
    let store: FileLogStore
    let restored: RestoredState
}

/// Where the loop thread reports the exit code and the main thread waits for it. Also keeps the runtime
/// alive for as long as the process serves.
private final class ExitSignal: @unchecked Sendable {
    private let condition = NSCondition()
    private var code: Int32?
    private var runtime: LoopBound<NodeRuntime>?

    func keep(_ runtime: LoopBound<NodeRuntime>) {
        condition.lock()
        self.runtime = runtime
        condition.unlock()
    }

    @Sendable func finish(_ exitCode: Int32) {
        condition.lock()
        if code == nil { code = exitCode }
        condition.broadcast()
        condition.unlock()
    }

    func wait() -> Int32 {
        condition.lock()
        defer { condition.unlock() }
        while code == nil { condition.wait() }
        return code!
    }
}

/// A duration in whole milliseconds, for log fields.
private func milliseconds(_ duration: Duration) -> Int64 {
    duration.components.seconds * 1_000 + duration.components.attoseconds / 1_000_000_000_000_000
}
