import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension DataDirectory {
    /// The data directory's mode: its owner's only, because the log holds keys, owners and notes.
    static let directoryMode: mode_t = 0o700
    /// The mode of every file in it.
    static let fileMode: mode_t = 0o600

    /// What ``tighten(path:)`` changed: the directory's old mode, when it was looser, and how many files were
    /// readable by others before.
    struct Tightening: Equatable, CustomStringConvertible {
        var directoryMode: mode_t?
        var files: [String] = []

        var isEmpty: Bool { directoryMode == nil && files.isEmpty }

        var description: String {
            var parts: [String] = []
            if let directoryMode { parts.append("directory \(octal(directoryMode)) → 0700") }
            if !files.isEmpty {
                let shown = files.prefix(3).joined(separator: ", ") + (files.count > 3 ? ", …" : "")
                parts.append("\(files.count) file(s) → 0600 (\(shown))")
            }
            return parts.joined(separator: "; ")
        }
    }

    /// Takes group's and others' access away from the directory at `path` and from the files directly in it
    /// (a directory written by an older padlockd, or copied with a careless umask); returns what it changed.
    /// A mode it cannot change is left for the operator, not fatal: the store opens the files anyway.
    static func tighten(path: String) -> Tightening {
        var result = Tightening()
        if let mode = looseMode(path), chmod(path, directoryMode) == 0 { result.directoryMode = mode }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for name in names.sorted() {
            let file = (path as NSString).appendingPathComponent(name)
            var info = stat()
            guard lstat(file, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            if looseMode(file) != nil, chmod(file, fileMode) == 0 { result.files.append(name) }
        }
        return result
    }

    /// The mode of `path` when group or others have any access to it; nil when they have none (or on error).
    private static func looseMode(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let mode = info.st_mode & 0o7777
        return mode & 0o077 == 0 ? nil : mode
    }
}

private func octal(_ mode: mode_t) -> String {
    let digits = String(mode, radix: 8)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}
