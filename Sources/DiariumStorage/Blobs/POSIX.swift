#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CDiariumSystem
import DiariumCore

/// Thin, throwing wrappers over the POSIX calls the store needs. Foundation's FileManager hides fsync and
/// directory durability, which the store's crash guarantees rest on.
enum POSIX {
    static func storageError(_ operation: String, _ path: String, _ code: Int32 = errno) -> DiariumError {
        DiariumError(.storage, "\(operation) \(path): \(String(cString: strerror(code)))")
    }

    static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0o644) throws(DiariumError) -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno != EINTR { throw storageError("cannot open", path) }
        }
    }

    /// Reads up to `count` bytes; 0 at end of file.
    static func read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int, path: String) throws(DiariumError) -> Int {
        while true {
            let n = Glibc.read(fd, buffer, count)
            if n >= 0 { return n }
            if errno != EINTR { throw storageError("cannot read", path) }
        }
    }

    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws(DiariumError) {
        var offset = 0
        while offset < buffer.count {
            let n = Glibc.write(fd, buffer.baseAddress! + offset, min(buffer.count - offset, WriteSize.maximum))
            if n < 0 {
                if errno == EINTR { continue }
                throw storageError("cannot write", path)
            }
            offset += n
        }
    }

    static func fsync(_ fd: Int32, path: String) throws(DiariumError) {
        while Glibc.fsync(fd) != 0 {
            if errno != EINTR { throw storageError("cannot sync", path) }
        }
    }

    /// Makes a directory entry (a rename or create inside `path`) durable.
    static func fsyncDirectory(_ path: String) throws(DiariumError) {
        guard diarium_sync_directory(path) == 0 else { throw storageError("cannot sync the directory", path) }
    }

    /// Makes everything written on the file system that holds `path` durable, data and directory entries alike: one
    /// device flush for what would be a sync per file. False where the system has no such call (not Linux).
    static func syncFileSystem(of path: String) throws(DiariumError) -> Bool {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        while diarium_sync_file_system(fd) != 0 {
            if errno == ENOSYS { return false }
            if errno != EINTR { throw storageError("cannot sync the file system of", path) }
        }
        return true
    }

    /// Starts write-back of a range without waiting, so a later fsync finds little left to do.
    static func startWriteback(_ fd: Int32, offset: Int64, length: Int64) {
        _ = diarium_start_writeback(fd, offset, length)
    }

    static func makeDirectory(_ path: String, mode: mode_t = 0o755) throws(DiariumError) {
        if mkdir(path, mode) != 0 && errno != EEXIST {
            throw storageError("cannot create directory", path)
        }
    }

    /// Whether the file system holding `path` has no room left for an unprivileged writer (nil: not known).
    static func isFull(_ path: String) -> Bool? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return info.f_bavail == 0
    }

    static func fileExists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    /// Whether this process (its effective user) may write `path`; false also on a read-only file system.
    static func isWritable(_ path: String) -> Bool {
        faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) == 0
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Names in a directory, without `.` and `..`.
    static func listDirectory(_ path: String) throws(DiariumError) -> [String] {
        guard let dir = opendir(path) else { throw storageError("cannot list", path) }
        defer { closedir(dir) }
        return names(in: dir)
    }

    /// The names an open directory stream lists, without `.` and `..`.
    private static func names(in dir: OpaquePointer) -> [String] {
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes a file or a directory tree; missing paths are fine. Never follows a symbolic link: each directory is
    /// opened `O_NOFOLLOW` relative to its parent's descriptor and emptied through that descriptor, so a directory
    /// swapped for a link meanwhile (by someone who may write where the tree is) is not entered, and nothing outside
    /// the tree is removed.
    static func removeTree(_ path: String) {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            unlink(path)   // a file, a link (itself), or nothing
            return
        }
        emptyDirectory(fd)   // closes fd
        rmdir(path)
    }

    /// Removes everything in the directory open as `fd`, and closes it.
    private static func emptyDirectory(_ fd: Int32) {
        guard let dir = fdopendir(fd) else {
            close(fd)
            return
        }
        defer { closedir(dir) }
        for name in names(in: dir) {
            let child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if child >= 0 {
                emptyDirectory(child)
                unlinkat(fd, name, AT_REMOVEDIR)
            } else {
                unlinkat(fd, name, 0)
            }
        }
    }

    /// The running kernel's release (`uname -r`), e.g. "6.1.0-18-amd64".
    static func kernelRelease() -> String? {
        var info = utsname()
        guard uname(&info) == 0 else { return nil }
        return withUnsafeBytes(of: &info.release) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
