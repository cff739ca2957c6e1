#if canImport(Glibc)
import Glibc
#endif
import CDiariumSystem
import DiariumCore
import DiariumExchange
import DiariumStorage
import Foundation

/// The few file operations sending and receiving need: digesting a payload as it streams, writing small files
/// (envelopes, receipts, EDIFACT) atomically, placing the package beside them.
enum ExchangeFiles {
    /// SHA-256 (lower-case hex) and size of a file, read in 1 MiB chunks.
    /// The SHA-256 and size of a regular file; `checkSize` sees the size before a byte is read (a payload of
    /// gigabytes beside an envelope that says kilobytes is refused at once). Anything else at the path (a pipe, a
    /// device, a link to one) is refused without blocking on it: an exchange folder is written by others.
    static func digest(_ path: String, field: String = "file",
                       checkSize: (Int64) throws(DiariumError) -> Void = { _ in }) throws(DiariumError) -> (sha256: String, size: Int64) {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw DiariumError(.unreadableFile, "cannot read \(path): \(String(cString: strerror(errno)))", field: field) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw DiariumError(.unreadableFile, "\(path) is not a regular file (a pipe, device or folder): nothing was read", field: field)
        }
        let stated = Int64(st.st_size)
        try checkSize(stated)
        var hasher = SHA256Hex.Hasher()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw DiariumError(.unreadableFile, "cannot read \(path): \(String(cString: strerror(errno)))", field: "file")
            }
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            // Growing while read (a writer appending, a /proc file that states 0): no further than one buffer past.
            if hasher.count > stated { try checkSize(hasher.count) }
        }
        return (hasher.finalize(), hasher.count)
    }

    static func readSmall(_ path: String, limit: Int, field: String) throws(DiariumError) -> [UInt8] {
        guard let size = size(path) else {
            throw DiariumError(.unreadableFile, "cannot read \(path): no such file", field: field)
        }
        guard size <= Int64(limit) else {
            throw DiariumError(.invalidField, "\(path) is \(size) bytes, more than the limit of \(limit)", field: field)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DiariumError(.unreadableFile, "cannot read \(path)", field: field)
        }
        return [UInt8](data)
    }

    /// Writes to a temp name beside `path`, syncs, renames, syncs the directory: a reader never sees half a file, and
    /// the catalog row committed next (a queued interchange, whose resend needs these bytes) never outlives it.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(DiariumError) {
        // A temp name of its own, created afresh: never a file planted in a shared exchange folder (a link to another
        // file is not written through), and never another writer's (two receipts for the same interchange at once).
        let temp = "\(Paths.parent(of: path))/.\((path as NSString).lastPathComponent).\(UInt64.random(in: 0 ... .max)).part"
        // Owner and group only, as the package beside it (`ArchiveWriter.fileMode`): it names the records it carries.
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw storage("create", temp) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, min(bytes.count - offset, WriteSize.maximum)) }
            if n < 0 {
                if errno == EINTR { continue }
                let error = storage("write", temp)
                close(fd)
                unlink(temp)
                throw error
            }
            offset += n
        }
        guard fsync(fd) == 0 else { let error = storage("sync", temp); close(fd); unlink(temp); throw error }
        close(fd)
        guard rename(temp, path) == 0 else { let error = storage("rename", temp); unlink(temp); throw error }
        try syncDirectory(Paths.parent(of: path))
    }

    /// Creates the directory (and its parents); each new one's entry in its parent is synced, as `writeAtomically`
    /// syncs the files in it.
    static func makeDirectory(_ path: String) throws(DiariumError) {
        var created: [String] = []
        var missing = path
        while !missing.isEmpty, missing != "/", missing != ".", !exists(missing) {
            created.append(missing)
            missing = Paths.parent(of: missing)
        }
        do {
            // Packages hold content, restricted records' too: nothing for other local accounts (see `Store.create`).
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: Int(Store.privateDirectoryMode)])
        } catch {
            throw DiariumError(.storage, "cannot create directory \(path): \(error.localizedDescription)", field: "out")
        }
        for directory in created { try syncDirectory(Paths.parent(of: directory)) }
    }

    /// Makes the entries of `directory` (a rename, a new file or folder) durable.
    static func syncDirectory(_ directory: String) throws(DiariumError) {
        guard diarium_sync_directory(directory) == 0 else { throw storage("sync the directory", directory) }
    }


    /// Moves a file (same file system: a rename), else copies and removes it.
    static func move(_ from: String, to: String) throws(DiariumError) {
        if rename(from, to) == 0 { return }
        do {
            if FileManager.default.fileExists(atPath: to) { try FileManager.default.removeItem(atPath: to) }
            try FileManager.default.copyItem(atPath: from, toPath: to)
            unlink(from)
        } catch {
            throw DiariumError(.storage, "cannot move \(from) to \(to): \(error.localizedDescription)", field: "out")
        }
    }

    /// The size of a regular file; nil when there is none.
    static func size(_ path: String) -> Int64? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(st.st_size)
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    static func storage(_ operation: String, _ path: String) -> DiariumError {
        DiariumError(.storage, "cannot \(operation) \(path): \(String(cString: strerror(errno)))")
    }
}
