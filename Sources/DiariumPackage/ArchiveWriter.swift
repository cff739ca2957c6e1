#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
internal import CArchive
import CDiariumSystem
import DiariumCore
import Synchronization

/// Temp files of writers not yet finished, so that a process stopped by a signal can remove them on its way out.
private let unfinishedFiles = Mutex<Set<String>>([])

/// Writes a tar (pax) or zip archive entry by entry, streaming: entry data arrives in chunks, never whole files.
///
/// The archive goes to a file without a name in `destination`'s directory (Linux `O_TMPFILE`: a process killed
/// mid-export leaves nothing, not even after SIGKILL); `finish()` closes and fsyncs it, names it beside the
/// destination and renames it into place (same directory, so atomic); `seal()`, `nameBesideDestination()` and
/// `publish()` are those steps one by one, for a caller that records the archive in between (an export's audit
/// event: a kill while it is written can leave the named temp file). Where unnamed files are not supported it is
/// a named temp file from the start, which a writer dropped or failed before `finish()` removes (and a signal
/// handler, via `removeUnfinishedFiles`). Until then nothing exists at `destination`. Not Sendable: keep it within
/// one task.
public final class ArchiveWriter {
    public enum Format: String, Sendable, CaseIterable {
        /// POSIX tar with pax extensions only where needed (long or non-ASCII names).
        case tar
        /// Zip; each entry stored or deflated as asked.
        case zip
    }

    public let destination: String
    public let format: Format
    /// The temp file's name beside the destination: from the start where unnamed files are not supported, else
    /// chosen by `nameBesideDestination()`, just before the rename unless the caller asked for it earlier.
    private var temporaryPath: String?
    private let archive: OpaquePointer
    private let fd: Int32
    private var finished = false
    private var failed = false
    private var closed = false
    private var sealed = false
    /// Bytes of entry data written so far (before compression and headers).
    public private(set) var dataBytes: Int64 = 0
    /// How far of the output file write-back has been started: done every `writebackInterval` bytes, so the disk
    /// works while we do and the final fsync has little left.
    private var writebackStarted: Int64 = 0
    static let writebackInterval: Int64 = 16 << 20

    /// A package is a copy of records from the store, restricted ones and the audit trail's names among them: as
    /// readable as the store's own files (owner and group), whatever the umask lets through.
    static let fileMode: mode_t = 0o640

    /// libarchive's output block, one write(2) each: see `WriteSize` for why not larger. The last block is not padded.
    static let blockSize = WriteSize.maximum

    public init(destination: String, format: Format) throws(DiariumError) {
        _ = archiveLocaleSetup
        guard !Paths.holdsOtherThanAFile(destination) else {
            throw DiariumError(.invalidField, "\(destination) is not a regular file (a folder, device, pipe or link): give the path of the archive to write",
                               field: "out")
        }
        self.destination = destination
        self.format = format
        let base = destination.split(separator: "/").last.map(String.init) ?? destination
        self.directory = Paths.parent(of: destination)
        self.base = base
        var opened = diarium_open_unnamed(self.directory, Self.fileMode)
        var path: String?
        if opened < 0 {
            guard errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL else {
                throw DiariumError(.storage, "cannot create a file in \(self.directory): \(String(cString: strerror(errno)))", field: "out")
            }
            (opened, path) = try Self.createNamed(in: self.directory, base: base, mode: O_WRONLY)
        }
        guard let archive = archive_write_new() else {
            close(opened)
            if let path { unlink(path) }
            throw DiariumError(.storage, "cannot allocate an archive writer")
        }
        self.archive = archive
        self.fd = opened
        self.temporaryPath = path
        if let path { unfinishedFiles.withLock { _ = $0.insert(path) } }
        let setup: Int32
        switch format {
        case .tar: setup = archive_write_set_format_pax_restricted(archive)
        case .zip: setup = archive_write_set_format_zip(archive)
        }
        guard setup == ARCHIVE_OK,
              archive_write_set_bytes_per_block(archive, Int32(Self.blockSize)) == ARCHIVE_OK,
              archive_write_set_bytes_in_last_block(archive, 1) == ARCHIVE_OK,
              archive_write_open_fd(archive, opened) == ARCHIVE_OK
        else {
            let message = Self.message(archive)
            archive_write_free(archive)
            close(opened)
            if let path { unlink(path) }
            throw DiariumError(.storage, "cannot start archive \(destination): \(message)")
        }
    }

    private let directory: String
    private let base: String

    /// `.<base>.<random>.part` in `directory`, created exclusively (`O_EXCL`; a few tries against collisions).
    private static func createNamed(in directory: String, base: String, mode: Int32) throws(DiariumError) -> (Int32, String) {
        var path = ""
        for _ in 0..<8 {
            path = "\(directory)/.\(Paths.tempStem(base)).\(UInt32.random(in: 0...UInt32.max)).part"
            let opened = open(path, mode | O_CREAT | O_EXCL | O_CLOEXEC, Self.fileMode)
            if opened >= 0 { return (opened, path) }
            if errno != EEXIST { break }
        }
        throw DiariumError(.storage, "cannot create \(path): \(String(cString: strerror(errno)))", field: "out")
    }

    /// Names the unnamed file beside the destination, for the rename.
    private static func linkNamed(_ fd: Int32, in directory: String, base: String) throws(DiariumError) -> String {
        var path = ""
        for _ in 0..<8 {
            path = "\(directory)/.\(Paths.tempStem(base)).\(UInt32.random(in: 0...UInt32.max)).part"
            if diarium_link_unnamed(fd, path) == 0 { return path }
            if errno != EEXIST { break }
        }
        throw DiariumError(.storage, "cannot name the finished archive \(path): \(String(cString: strerror(errno)))")
    }

    deinit {
        if !closed { archive_write_free(archive) }
        if !finished {
            close(fd)
            if let temporaryPath { unlink(temporaryPath) }
        }
        if let temporaryPath { unfinishedFiles.withLock { _ = $0.remove(temporaryPath) } }
    }

    /// Removes the temp files of every writer not finished yet. For a signal handler that is about to end the
    /// process (deinit does not run then); async-signal-safe enough for that: it only takes a lock and unlinks.
    public static func removeUnfinishedFiles() {
        unfinishedFiles.withLock { paths in
            for path in paths { unlink(path) }
            paths.removeAll()
        }
    }

    /// Adds a directory entry (`path` without a trailing slash).
    public func addDirectory(_ path: String, modified: Int64) throws(DiariumError) {
        try writeHeader(path: path, size: nil, modified: modified, compress: false)
    }

    /// Adds a file from bytes in memory (metadata documents, manifests).
    public func addFile(_ path: String, bytes: [UInt8], modified: Int64, compress: Bool) throws(DiariumError) {
        try addFile(path, size: Int64(bytes.count), modified: modified, compress: compress) { write throws(DiariumError) in
            var failure: DiariumError?
            bytes.withUnsafeBytes { chunk in
                do throws(DiariumError) { try write(chunk) } catch { failure = error }
            }
            if let failure { throw failure }
        }
    }

    /// Adds a file of exactly `size` bytes whose data `produce` feeds, chunk by chunk, to the `write` it is given.
    /// Fewer or more bytes than declared fail the entry (a tar header cannot be corrected afterwards).
    public func addFile(
        _ path: String, size: Int64, modified: Int64, compress: Bool,
        produce: (_ write: (UnsafeRawBufferPointer) throws(DiariumError) -> Void) throws(DiariumError) -> Void
    ) throws(DiariumError) {
        try writeHeader(path: path, size: size, modified: modified, compress: compress)
        var written: Int64 = 0
        do throws(DiariumError) {
            try produce { chunk throws(DiariumError) in
                guard written + Int64(chunk.count) <= size else {
                    throw DiariumError(.integrity, "archive entry \(path) grew past its declared \(size) bytes")
                }
                var offset = 0
                while offset < chunk.count {
                    let n = archive_write_data(archive, chunk.baseAddress! + offset, chunk.count - offset)
                    guard n > 0 else {
                        throw DiariumError(.storage, "cannot write \(path) to \(destination): \(Self.message(archive))")
                    }
                    offset += n
                }
                written += Int64(chunk.count)
                startWritebackIfDue()
            }
            guard written == size else {
                throw DiariumError(.integrity, "archive entry \(path) has \(written) bytes, not the declared \(size)")
            }
        } catch {
            failed = true
            throw error
        }
        dataBytes += written
    }

    /// Closes the archive, makes it durable and renames it to `destination` (replacing what was there).
    public func finish() throws(DiariumError) {
        _ = try seal()
        try publish()
    }

    /// Closes the archive and makes its bytes durable, not yet at `destination`; returns its size. Then `publish()`
    /// puts it in place; a writer dropped instead removes it (an export whose audit event cannot be written must
    /// not exist, nor replace what was at `destination`).
    public func seal() throws(DiariumError) -> Int64 {
        guard !failed else { throw DiariumError(.invalidState, "archive \(destination) failed and cannot be finished") }
        closed = true
        let rc = archive_write_close(archive)
        let message = Self.message(archive)
        archive_write_free(archive)
        guard rc == ARCHIVE_OK else {
            failed = true
            throw DiariumError(.storage, "cannot finish archive \(destination): \(message)")
        }
        while fsync(fd) != 0 {
            if errno != EINTR {
                failed = true
                throw DiariumError(.storage, "cannot sync the archive for \(destination): \(String(cString: strerror(errno)))")
            }
        }
        sealed = true
        var st = stat()
        return fstat(fd, &st) == 0 ? Int64(st.st_size) : 0
    }

    /// Gives the sealed archive its temp name beside `destination` (`.<name>.<random>.part`), if it has none yet.
    /// Call it before recording that the archive exists (an export's audit event): should the final rename then
    /// fail, the archive is still there under this name, and `publish(keepingOnFailure: true)` says where.
    @discardableResult
    public func nameBesideDestination() throws(DiariumError) -> String {
        guard sealed, !failed, !finished else { throw DiariumError(.invalidState, "archive \(destination) is not sealed") }
        if let temporaryPath { return temporaryPath }
        let named = try Self.linkNamed(fd, in: directory, base: base)
        temporaryPath = named
        unfinishedFiles.withLock { _ = $0.insert(named) }
        // The name may go on record (an export's audit event) before the rename: it must survive a power loss too.
        try syncDirectory()
        return named
    }

    /// Renames the sealed archive to `destination`, replacing what was there, and syncs the directory.
    /// When the rename fails the temp file is removed, unless `keepingOnFailure`: then it stays, synced, and the
    /// error names it (for an archive whose existence is already on record).
    public func publish(keepingOnFailure: Bool = false) throws(DiariumError) {
        // Unless the caller named it earlier, named only now and renamed at once: a kill in between is then the one
        // moment a temp file can remain.
        let named = try nameBesideDestination()
        guard rename(named, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            guard keepingOnFailure else { throw DiariumError(.storage, "cannot rename \(named) to \(destination): \(reason)") }
            finished = true
            unfinishedFiles.withLock { _ = $0.remove(named) }
            close(fd)
            try? syncDirectory()
            throw DiariumError(.storage, "the finished archive could not be renamed to \(destination) (\(reason)); it is complete at \(named): move it there by hand")
        }
        finished = true
        unfinishedFiles.withLock { _ = $0.remove(named) }
        close(fd)
        try syncDirectory()
    }

    /// Makes the archive's names in `directory` (its temp name, its final name) durable.
    private func syncDirectory() throws(DiariumError) {
        guard diarium_sync_directory(directory) == 0 else {
            throw DiariumError(.storage, "cannot sync the directory \(directory) of \(destination): \(String(cString: strerror(errno)))")
        }
    }

    private func startWritebackIfDue() {
        let position = Int64(lseek(fd, 0, SEEK_CUR))
        if position - writebackStarted >= Self.writebackInterval {
            _ = diarium_start_writeback(fd, writebackStarted, position - writebackStarted)
            writebackStarted = position
        }
    }

    private func writeHeader(path: String, size: Int64?, modified: Int64, compress: Bool) throws(DiariumError) {
        guard !failed, !closed else { throw DiariumError(.invalidState, "archive \(destination) is no longer writable") }
        guard let entry = archive_entry_new() else { throw DiariumError(.storage, "cannot allocate an archive entry") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname_utf8(entry, size == nil ? path + "/" : path)
        if let size {
            archive_entry_set_filetype(entry, CA_IFREG)
            archive_entry_set_perm(entry, 0o644)
            archive_entry_set_size(entry, size)
        } else {
            archive_entry_set_filetype(entry, CA_IFDIR)
            archive_entry_set_perm(entry, 0o755)
        }
        // Deterministic headers: fixed owner and time, so the same content gives the same archive.
        archive_entry_set_mtime(entry, time_t(modified), 0)
        archive_entry_set_uid(entry, 0)
        archive_entry_set_gid(entry, 0)
        if format == .zip {
            _ = compress ? archive_write_zip_set_compression_deflate(archive) : archive_write_zip_set_compression_store(archive)
        }
        guard archive_write_header(archive, entry) == ARCHIVE_OK else {
            failed = true
            throw DiariumError(.storage, "cannot write entry \(path) to \(destination): \(Self.message(archive))")
        }
    }

    private static func message(_ archive: OpaquePointer) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "error \(archive_errno(archive))"
    }
}
