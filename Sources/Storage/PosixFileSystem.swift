#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The real file system, through POSIX calls, so errors carry the exact `errno`.
final class PosixFileSystem: FileSystem {
    let directory: String
    private var names: [Int32: String] = [:]

    /// Holds an exclusive `flock` on the directory's `LOCK` file while the store is open.
    private var lockDescriptor: Int32 = -1

    /// The name of the file whose lock keeps a second process from opening the same directory.
    static let lockName = "LOCK"

    /// The mode of a directory the store creates: its owner's only, since the log holds keys, owners and notes.
    static let directoryMode: mode_t = 0o700
    /// The mode of every file the store creates (segments, snapshots, temporary files, the lock file).
    static let fileMode: mode_t = 0o600

    /// Uses `directory`, creating it (and syncing its parent) when it does not exist, and locks it so no
    /// other store (in this or another process) opens it at the same time.
    init(directory: String) throws {
        self.directory = directory
        if mkdir(directory, Self.directoryMode) == 0 {
            try Self.syncPath(Self.parent(of: directory))
        } else if errno != EEXIST {
            throw StorageError.system("mkdir", path: directory, errno: errno)
        }
        let lockPath = path(Self.lockName)
        lockDescriptor = Glibc.open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, Self.fileMode)
        guard lockDescriptor >= 0 else { throw StorageError.system("open", path: lockPath, errno: errno) }
        guard flock(lockDescriptor, LOCK_EX | LOCK_NB) == 0 else {
            let number = errno
            // Forget the descriptor before closing it: a class whose init throws after every property is set
            // still runs deinit, which would close the same number again, by then perhaps another thread's
            // socket or epoll descriptor (libuv aborted in its poll when this happened under the tests).
            let descriptor = lockDescriptor
            lockDescriptor = -1
            _ = Glibc.close(descriptor)
            var error = StorageError.system("flock", path: lockPath, errno: number)
            if number == EWOULDBLOCK { error.detail = "another store has this directory open" }
            throw error
        }
    }

    deinit {
        if lockDescriptor >= 0 { _ = Glibc.close(lockDescriptor) }
    }

    private static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private static func syncPath(_ path: String) throws {
        let descriptor = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw StorageError.system("open", path: path, errno: errno) }
        defer { _ = Glibc.close(descriptor) }
        guard fsync(descriptor) == 0 else { throw StorageError.system("fsync", path: path, errno: errno) }
    }

    private func name(_ file: FileID) -> String { path(names[file.rawValue] ?? "?") }

    func listFiles() throws -> [String] {
        guard let stream = opendir(directory) else {
            throw StorageError.system("opendir", path: directory, errno: errno)
        }
        defer { closedir(stream) }
        var result: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { result.append(name) }
        }
        return result.sorted()
    }

    func open(_ name: String, create: Bool) throws -> FileID {
        let flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0)
        let descriptor = Glibc.open(path(name), flags, Self.fileMode)
        guard descriptor >= 0 else { throw StorageError.system("open", path: path(name), errno: errno) }
        names[descriptor] = name
        return FileID(rawValue: descriptor)
    }

    func close(_ file: FileID) {
        names[file.rawValue] = nil
        _ = Glibc.close(file.rawValue)
    }

    func size(_ file: FileID) throws -> Int {
        var info = stat()
        guard fstat(file.rawValue, &info) == 0 else {
            throw StorageError.system("fstat", path: name(file), errno: errno)
        }
        return Int(info.st_size)
    }

    func read(_ file: FileID, at offset: Int, count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let result = buffer.withUnsafeMutableBytes {
                pread(file.rawValue, $0.baseAddress! + done, count - done, off_t(offset + done))
            }
            if result < 0 && errno == EINTR { continue }
            guard result >= 0 else { throw StorageError.system("pread", path: name(file), errno: errno) }
            if result == 0 { break }
            done += result
        }
        return done == count ? buffer : Array(buffer[..<done])
    }

    func write(_ file: FileID, _ bytes: [UInt8], at offset: Int) throws {
        var done = 0
        while done < bytes.count {
            let result = bytes.withUnsafeBytes {
                pwrite(file.rawValue, $0.baseAddress! + done, bytes.count - done, off_t(offset + done))
            }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else {
                throw StorageError.system("pwrite", path: name(file), errno: result < 0 ? errno : EIO)
            }
            done += result
        }
    }

    func allocate(_ file: FileID, size: Int) throws {
        // posix_fallocate returns the error number instead of setting errno.
        let result = posix_fallocate(file.rawValue, 0, off_t(size))
        guard result == 0 else { throw StorageError.system("posix_fallocate", path: name(file), errno: result) }
    }

    func syncData(_ file: FileID) throws {
        guard fdatasync(file.rawValue) == 0 else {
            throw StorageError.system("fdatasync", path: name(file), errno: errno)
        }
    }

    func rename(_ from: String, to: String) throws {
        guard Glibc.rename(path(from), path(to)) == 0 else {
            throw StorageError.system("rename", path: path(from), errno: errno)
        }
        for (descriptor, name) in names where name == from { names[descriptor] = to }
    }

    func remove(_ name: String) throws {
        guard unlink(path(name)) == 0 else { throw StorageError.system("unlink", path: path(name), errno: errno) }
    }

    func syncDirectory() throws { try Self.syncPath(directory) }
}
