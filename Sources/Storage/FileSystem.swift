/// An open file in a `FileSystem`.
package struct FileID: Hashable, Sendable {
    package var rawValue: Int32

    package init(rawValue: Int32) { self.rawValue = rawValue }
}

/// The file operations a `FileLogStore` needs, all within one directory, so the same store code runs on a
/// real directory (`PosixFileSystem`) and on a simulated disk that can crash, tear and fail
/// (`SimulatedFileSystem`). Names are plain file names inside the directory. Every failure throws a
/// `StorageError` naming the path, the operation and `errno`.
package protocol FileSystem: AnyObject {
    /// The directory's path, for messages.
    var directory: String { get }
    /// The names of the files in the directory.
    func listFiles() throws -> [String]
    /// Opens `name` for reading and writing, creating it (empty) when `create` is true.
    func open(_ name: String, create: Bool) throws -> FileID
    /// Closes `file`; errors are ignored because every write that matters has already been synced.
    func close(_ file: FileID)
    /// The size of `file` in bytes.
    func size(_ file: FileID) throws -> Int
    /// Reads `count` bytes at `offset` (fewer only at the end of the file).
    func read(_ file: FileID, at offset: Int, count: Int) throws -> [UInt8]
    /// Writes all of `bytes` at `offset`.
    func write(_ file: FileID, _ bytes: [UInt8], at offset: Int) throws
    /// Reserves space so the file is at least `size` bytes, zero-filled.
    func allocate(_ file: FileID, size: Int) throws
    /// Makes the file's data durable (`fdatasync`).
    func syncData(_ file: FileID) throws
    /// Renames `from` to `to`, replacing `to`.
    func rename(_ from: String, to: String) throws
    /// Removes `name`.
    func remove(_ name: String) throws
    /// Makes creations, renames and removals in the directory durable (`fsync` on the directory).
    func syncDirectory() throws
}

extension FileSystem {
    /// The full path of `name`, for messages.
    package func path(_ name: String) -> String { directory.hasSuffix("/") ? directory + name : directory + "/" + name }

    /// The whole content of `file`.
    package func readAll(_ file: FileID) throws -> [UInt8] {
        try read(file, at: 0, count: try size(file))
    }
}
