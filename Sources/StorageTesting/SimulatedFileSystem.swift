import Storage

#if canImport(Glibc)
    import Glibc
#endif

/// An in-memory directory that models what a crash does to unsynced data, for deterministic tests and the
/// simulator.
///
/// Each file keeps the bytes that are durable and the writes issued since its last `syncData`; the directory
/// keeps the names that are durable and the creations, renames and removals since its last
/// `syncDirectory`. `crash()` keeps a random prefix of each list of pending changes, may tear the last kept
/// write at a 512-byte sector boundary, and drops the rest. Faults (a failing write or sync, a crash after a
/// given number of operations) are armed on demand. All randomness comes from the generator passed in.
final class SimulatedFileSystem: FileSystem {
    /// One pending change to a file's contents.
    enum FileChange {
        case write(offset: Int, bytes: [UInt8])
        case resize(Int)
    }

    /// One file's contents, shared by every name that links to it.
    final class Inode {
        var durable: [UInt8] = []
        var current: [UInt8] = []
        var pending: [FileChange] = []
    }

    /// One pending change to the directory.
    enum DirectoryChange {
        case link(String, Inode)
        case rename(String, String)
        case unlink(String)
    }

    let directory: String
    private(set) var durableNames: [String: Inode] = [:]
    private(set) var names: [String: Inode] = [:]
    private var pendingDirectory: [DirectoryChange] = []
    var pendingDirectoryChanges: [DirectoryChange] { pendingDirectory }
    var pendingDirectoryCount: Int { pendingDirectory.count }
    private var open: [Int32: (name: String, inode: Inode)] = [:]
    private var nextDescriptor: Int32 = 3

    /// Errors armed for the next write or sync (of a file or the directory), as `errno` values.
    var failNextWrite: Int32?
    var failNextSync: Int32?
    /// When set, the operation that brings this count to zero throws `.closed` before doing anything, as if
    /// the machine lost power then. Counted operations: write, allocate, sync, rename, remove, create.
    var crashAfterOperations: Int?

    init(directory: String = "/simulated") {
        self.directory = directory
    }

    /// A new file system holding what is durable in this one (names and contents), as a consistent backup
    /// of the directory taken now would: nothing pending, nothing open, no fault armed.
    func durableCopy() -> SimulatedFileSystem { copy(of: durableNames, contents: \.durable) }

    /// A new file system holding what a reader of this one sees now (names and contents, pending changes
    /// included), made durable: what `cp -a` of a live directory, followed by a sync, leaves behind. Unlike
    /// ``durableCopy()`` it keeps writes whose sync failed, which the node that wrote them read back after
    /// its restart and built on.
    func visibleCopy() -> SimulatedFileSystem { copy(of: names, contents: \.current) }

    /// A new file system with `source`'s names, each file durable with the given contents; hard links stay
    /// shared.
    private func copy(of source: [String: Inode], contents: KeyPath<Inode, [UInt8]>) -> SimulatedFileSystem {
        let copy = SimulatedFileSystem(directory: directory)
        var copied: [ObjectIdentifier: Inode] = [:]
        for (name, inode) in source.sorted(by: { $0.key < $1.key }) {
            let twin = copied[ObjectIdentifier(inode)] ?? Inode()
            twin.durable = inode[keyPath: contents]
            twin.current = inode[keyPath: contents]
            copied[ObjectIdentifier(inode)] = twin
            copy.durableNames[name] = twin
            copy.names[name] = twin
        }
        return copy
    }

    /// How many counted operations the disk has done since it was created.
    private(set) var operationCount = 0

    /// Throws if an armed crash point is reached, counting one operation.
    private func tick(_ operation: String) throws {
        operationCount += 1
        guard let remaining = crashAfterOperations else { return }
        if remaining <= 0 {
            throw StorageError(code: .closed, operation: operation, path: directory, detail: "simulated power loss")
        }
        crashAfterOperations = remaining - 1
    }

    private func entry(_ file: FileID) -> (name: String, inode: Inode) {
        guard let entry = open[file.rawValue] else { preconditionFailure("file \(file.rawValue) is not open") }
        return entry
    }

    func listFiles() throws -> [String] { names.keys.sorted() }

    func open(_ name: String, create: Bool) throws -> FileID {
        let inode: Inode
        if create {
            try tick("open")
            guard names[name] == nil else { throw StorageError.system("open", path: path(name), errno: EEXIST) }
            inode = Inode()
            names[name] = inode
            pendingDirectory.append(.link(name, inode))
        } else {
            guard let existing = names[name] else { throw StorageError.system("open", path: path(name), errno: ENOENT) }
            inode = existing
        }
        let descriptor = nextDescriptor
        nextDescriptor += 1
        open[descriptor] = (name, inode)
        return FileID(rawValue: descriptor)
    }

    func close(_ file: FileID) { open[file.rawValue] = nil }

    func size(_ file: FileID) throws -> Int { entry(file).inode.current.count }

    func read(_ file: FileID, at offset: Int, count: Int) throws -> [UInt8] {
        let bytes = entry(file).inode.current
        guard offset < bytes.count else { return [] }
        return Array(bytes[offset..<min(bytes.count, offset + count)])
    }

    func write(_ file: FileID, _ bytes: [UInt8], at offset: Int) throws {
        try tick("pwrite")
        let (name, inode) = entry(file)
        if let number = failNextWrite {
            failNextWrite = nil
            throw StorageError.system("pwrite", path: path(name), errno: number)
        }
        Self.apply(.write(offset: offset, bytes: bytes), to: &inode.current)
        inode.pending.append(.write(offset: offset, bytes: bytes))
    }

    func allocate(_ file: FileID, size: Int) throws {
        try tick("posix_fallocate")
        let (name, inode) = entry(file)
        if let number = failNextWrite {
            failNextWrite = nil
            throw StorageError.system("posix_fallocate", path: path(name), errno: number)
        }
        guard size > inode.current.count else { return }
        Self.apply(.resize(size), to: &inode.current)
        inode.pending.append(.resize(size))
    }

    func syncData(_ file: FileID) throws {
        try tick("fdatasync")
        let (name, inode) = entry(file)
        if let number = failNextSync {
            failNextSync = nil
            // Like Linux after a failed fsync: the dirty data may be gone and the error is reported once.
            inode.pending.removeAll()
            throw StorageError.system("fdatasync", path: path(name), errno: number)
        }
        inode.durable = inode.current
        inode.pending.removeAll()
    }

    func rename(_ from: String, to: String) throws {
        try tick("rename")
        guard let inode = names[from] else { throw StorageError.system("rename", path: path(from), errno: ENOENT) }
        names[from] = nil
        names[to] = inode
        for (descriptor, entry) in open where entry.name == from { open[descriptor] = (to, entry.inode) }
        pendingDirectory.append(.rename(from, to))
    }

    func remove(_ name: String) throws {
        try tick("unlink")
        guard names.removeValue(forKey: name) != nil else {
            throw StorageError.system("unlink", path: path(name), errno: ENOENT)
        }
        pendingDirectory.append(.unlink(name))
    }

    func syncDirectory() throws {
        try tick("fsync")
        if let number = failNextSync {
            failNextSync = nil
            throw StorageError.system("fsync", path: directory, errno: number)
        }
        durableNames = names
        pendingDirectory.removeAll()
    }

    /// After a crash: the names that survived become both the current and the durable ones.
    func resetNames(to surviving: [String: Inode]) {
        names = surviving
        durableNames = surviving
        pendingDirectory.removeAll()
        open.removeAll()
    }

    static func apply(_ change: FileChange, to bytes: inout [UInt8]) {
        switch change {
        case .write(let offset, let data):
            if bytes.count < offset + data.count {
                bytes.append(contentsOf: repeatElement(0, count: offset + data.count - bytes.count))
            }
            bytes.replaceSubrange(offset..<(offset + data.count), with: data)
        case .resize(let size):
            if size > bytes.count {
                bytes.append(contentsOf: repeatElement(0, count: size - bytes.count))
            } else {
                bytes.removeSubrange(size...)
            }
        }
    }
}
