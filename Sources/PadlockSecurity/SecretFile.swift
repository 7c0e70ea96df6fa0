#if canImport(Glibc)
    import Glibc
#endif

/// Reads files that hold secrets (the cluster secret, a client token, a TLS private key) and refuses one that
/// users other than its owner can read: a secret every account on the host can copy protects nothing.
package enum SecretFile {
    /// Why a secret file was refused; the description names the file, what is wrong and the fix.
    package struct Problem: Error, CustomStringConvertible, Equatable {
        package var description: String
        package init(_ description: String) { self.description = description }
    }

    /// The permission bits that must be clear: read, write or execute for group and others.
    package static let forbiddenModeBits: UInt32 = 0o077

    /// Refuses `path` when its group or others have any access to it; `what` names it in the message
    /// ("cluster secret file").
    package static func checkMode(_ path: String, what: String) throws(Problem) {
        let descriptor = try openChecked(path, what: what)
        _ = Glibc.close(descriptor)
    }

    /// The bytes of `path`, after ``checkMode(_:what:)``; at most `sizeMax` bytes are accepted.
    package static func read(_ path: String, what: String, sizeMax: Int) throws(Problem) -> [UInt8] {
        let descriptor = try openChecked(path, what: what)
        defer { _ = Glibc.close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw failure(path, what) }
            if count == 0 { return bytes }
            bytes += buffer[..<count]
            guard bytes.count <= sizeMax else {
                throw Problem("the \(what) \(path) is longer than \(sizeMax) bytes; is it the right file?")
            }
        }
    }

    /// `path` opened for reading, once its mode (of the file opened, so no other file can be swapped in
    /// between) shows that only its owner may use it.
    private static func openChecked(_ path: String, what: String) throws(Problem) -> Int32 {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(path, what) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let problem = failure(path, what)
            _ = Glibc.close(descriptor)
            throw problem
        }
        let mode = UInt32(info.st_mode) & 0o7777
        guard mode & forbiddenModeBits == 0 else {
            _ = Glibc.close(descriptor)
            throw Problem(
                "the \(what) \(path) has mode \(octal(mode)), so other users can read it; "
                    + "run `chmod 600 \(path)` (owned by the user the program runs as)")
        }
        return descriptor
    }

    private static func failure(_ path: String, _ what: String) -> Problem {
        Problem("cannot read the \(what) \(path): \(String(cString: strerror(errno)))")
    }

    /// `0644`, as `ls` and `chmod` write modes.
    static func octal(_ mode: UInt32) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
