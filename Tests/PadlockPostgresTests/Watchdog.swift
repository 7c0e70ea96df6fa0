import Foundation
import Glibc

/// The watchdog's pid and the write end of its pipe, set once by `startWatchdog`.
nonisolated(unsafe) private var watchdog: (pid: pid_t, pipe: Int32)?

extension PostgresServer {
    /// Spawns `sh` in a session of its own, reading a pipe until end of file, then stopping the server and
    /// removing its directory. The write end is close-on-exec, so no other child (the server itself above
    /// all) inherits it and holds the pipe open.
    static func startWatchdog(bin: String, directory: String) throws {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw ServerError("pipe failed: errno \(errno)") }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        let stop = (asServerUser + ["\(bin)/pg_ctl", "-D", "\(directory)/data", "-m", "immediate", "stop"])
            .map(shellQuoted).joined(separator: " ")
        let script = "cat >/dev/null; \(stop) >/dev/null 2>&1; rm -rf \(shellQuoted(directory))"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, ends[0], 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, 0x80)  // POSIX_SPAWN_SETSID (glibc): its own session
        let arguments = ["/bin/sh", "-c", script]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, &argv, environ)
        close(ends[0])
        guard spawned == 0 else {
            close(ends[1])
            throw ServerError("starting the watchdog failed: \(spawned)")
        }
        watchdog = (pid, ends[1])
        atexit {
            guard let started = watchdog else { return }
            close(started.pipe)
            var status: Int32 = 0
            waitpid(started.pid, &status, 0)
        }
    }

    private static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
