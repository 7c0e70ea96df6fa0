import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The command `padlock lock KEY -- CMD` runs, started with `posix_spawnp` so that it begins life as a
/// command started from a shell does: no signal blocked and every signal at its default disposition.
///
/// Foundation's `Process` passes the mask of the thread that starts it on to the child; started from one of
/// the async runtime's worker threads, that blocked SIGTERM for the child, so the CLI could never stop it. And
/// the CLI itself ignores SIGINT and SIGTERM (it waits for them through a dispatch source), a disposition a
/// child would otherwise inherit through `exec`.
struct ChildProcess {
    /// Why a command could not be started.
    struct SpawnError: Error, CustomStringConvertible {
        var command: String
        var code: Int32
        var description: String { "cannot run \(command): \(String(cString: strerror(code)))" }
    }

    let pid: pid_t

    /// Starts `arguments[0]` (looked up in PATH) with `arguments` and `environment`, sharing our standard
    /// input, output and error.
    static func spawn(_ arguments: [String], environment: [String: String]) throws(SpawnError) -> ChildProcess {
        guard let name = arguments.first, !name.isEmpty else { throw SpawnError(command: "\"\"", code: ENOENT) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        // Every catchable signal back to its default action; sigaddset refuses the C library's internal
        // real-time signals, which is what we want.
        for number in 1..<Int32(65) where number != SIGKILL && number != SIGSTOP { sigaddset(&defaults, number) }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid = pid_t()
        let code = posix_spawnp(&pid, name, nil, &attributes, argv, envp)
        guard code == 0 else { throw SpawnError(command: name, code: code) }
        return ChildProcess(pid: pid)
    }

    /// Sends `number` to the child (nothing happens once it has been reaped).
    func send(_ number: Int32) { kill(pid, number) }

    /// The child's exit status once it has ended (reaping it), nil while it runs. A child killed by a signal
    /// reports 128 + the signal's number, as shells do.
    func poll() -> Int32? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == 0 { return nil }
        if result < 0 { return errno == EINTR ? nil : 127 }
        return Self.exitStatus(status)
    }

    static func exitStatus(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// Waits for the child to end, checking every `interval` without holding a thread of the async runtime;
    /// returns its exit status.
    func wait(interval: Duration = .milliseconds(50)) async -> Int32 {
        while true {
            if let status = poll() { return status }
            await pause(interval)
        }
    }

    /// Sleeps `interval`; in a cancelled task (where Task.sleep returns at once) the thread sleeps instead,
    /// so a wait never spins.
    private func pause(_ interval: Duration) async {
        do {
            try await Task.sleep(for: interval)
        } catch {
            let (seconds, attoseconds) = interval.components
            usleep(UInt32(clamping: seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
        }
    }

    /// SIGTERM, then SIGKILL if the child has not ended after `grace`; returns its exit status.
    func stop(grace: Duration) async -> Int32 {
        if let status = poll() { return status }
        send(SIGTERM)
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline {
            if let status = poll() { return status }
            await pause(.milliseconds(20))
        }
        FileHandle.standardError.write(
            Data("padlock: the command did not stop within \(grace) of SIGTERM; sending SIGKILL\n".utf8))
        send(SIGKILL)
        return await wait()
    }
}
