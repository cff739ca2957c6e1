#if canImport(Glibc)
import Glibc
#endif
import Crypto
import DiariumCore
import Foundation
import Synchronization

/// Content that has been copied into the store's temp area and hashed, but is not yet published.
public struct StagedBlob: Sendable {
    public let sha256: String
    public let size: Int64
    let tempPath: String
    /// Open until publish or discard; -1 once `closingFile()` let it go (publish then reopens the file to sync it).
    let fd: Int32

    /// The same staged content without an open descriptor, for callers that stage many files before publishing
    /// them (a package of 100,000 files must not hold 100,000 descriptors).
    public func closingFile() -> StagedBlob {
        if fd >= 0 { close(fd) }
        return StagedBlob(sha256: sha256, size: size, tempPath: tempPath, fd: -1)
    }

    /// Where the staged bytes can be read (e.g. to extract text) until they are published or discarded.
    public var stagedPath: String { tempPath }
}

/// Content-addressed file store: `objects/sha256/<first two hex digits>/<64 hex digits>`.
///
/// A blob is published by tmp → fsync → link → fsync directory (a batch: syncfs → link → syncfs), so a name under
/// `objects/` always holds complete, durable bytes. Staging and publishing are separate steps so that a batch can
/// share one round of syncs (group commit), and so that the catalog is written only after its blobs are durable.
public final class BlobStore {
    public static let chunkSize = 1 << 20
    /// Start write-back every this many bytes while copying, so the final fsync of a large file is short, and so
    /// that a sync of the whole file system (a group commit's) never finds more than this much of it pending.
    public static let writebackInterval: Int64 = 16 << 20

    /// Starts writing a range of a file that will become a blob (an upload arriving) back to disk, without waiting:
    /// see `writebackInterval`.
    public static func startWriteback(_ fd: Int32, offset: Int64, length: Int64) {
        POSIX.startWriteback(fd, offset: offset, length: length)
    }

    public let objectsPath: String
    let tempRoot: String
    private var tempArea: TempArea?
    /// Allocated on first use: a server makes a `BlobStore` per job, and most jobs only read the catalog.
    private var allocatedBuffer: UnsafeMutableRawBufferPointer?
    private var buffer: UnsafeMutableRawBufferPointer {
        if let allocatedBuffer { return allocatedBuffer }
        let fresh = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 4096)
        allocatedBuffer = fresh
        return fresh
    }

    init(objectsPath: String, tempRoot: String, tempArea: TempArea? = nil) {
        self.objectsPath = objectsPath
        self.tempRoot = tempRoot
        self.tempArea = tempArea
    }

    /// Writes large chunks while this thread hashes them (made on first use, see `WriteLane`).
    private var lane: WriteLane?

    deinit {
        allocatedBuffer?.deallocate()
        lane?.stop()
    }

    /// Creates `objects/sha256/00` … `ff` once, so publishing never has to create (and sync) a directory.
    static func createLayout(objectsPath: String) throws(DiariumError) {
        try POSIX.makeDirectory(objectsPath)
        for shard in 0..<256 {
            try POSIX.makeDirectory(objectsPath + "/" + hexByte(UInt8(shard)))
        }
        try POSIX.fsyncDirectory(objectsPath)
    }

    public func path(of sha256: String) -> String {
        publisher.path(of: sha256)
    }

    /// The part of the store that may run on another thread: publishing needs no buffer or temp state.
    public var publisher: BlobPublisher { BlobPublisher(objectsPath: objectsPath) }

    public func contains(_ sha256: String) -> Bool {
        POSIX.fileExists(path(of: sha256))
    }

    /// Copies a file into the temp area while hashing it. Nothing is visible in `objects/` until `publish`.
    /// `observe` sees every chunk in order (e.g. to identify the format on the way), so nothing reads the file again.
    public func stage(copying sourcePath: String, observing observe: (UnsafeRawBufferPointer) -> Void = { _ in }) throws(DiariumError) -> StagedBlob {
        let source: Int32
        do { source = try POSIX.open(sourcePath, O_RDONLY) } catch {
            throw DiariumError(.unreadableFile, error.message, field: "file")
        }
        defer { close(source) }
        var st = stat()
        guard fstat(source, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw DiariumError(.unreadableFile, "\(sourcePath) is not a regular file", field: "file")
        }
        _ = posix_fadvise(source, 0, 0, POSIX_FADV_SEQUENTIAL)
        return try stage(from: { buffer throws(DiariumError) in
            do throws(DiariumError) { return try POSIX.read(source, buffer.baseAddress!, buffer.count, path: sourcePath) } catch {
                throw DiariumError(.unreadableFile, error.message, field: "file")
            }
        }, observing: observe)
    }

    /// Stages a file that is already in this store's temp area (an upload received there) by taking it over: it is
    /// hashed where it lies and linked into place when published, never copied. Anything else (a path outside the
    /// temp area, a link, a file with a second name) is copied instead, so the caller's files are never moved.
    /// Once staged the file belongs to the store: publish links it into place, release or discard removes the temp name.
    public func stage(adopting path: String, observing observe: (UnsafeRawBufferPointer) -> Void = { _ in }) throws(DiariumError) -> StagedBlob {
        guard path.hasPrefix(tempRoot + "/"), !path.contains("/../") else { return try stage(copying: path, observing: observe) }
        // Checked on the open file, not the name: what is hashed and renamed is what was checked.
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        var st = stat()
        guard fd >= 0, fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_nlink == 1 else {
            if fd >= 0 { close(fd) }
            return try stage(copying: path, observing: observe)
        }
        do throws(DiariumError) {
            let digest = try FileDigest.sha256(of: fd, path: path, buffer: buffer, observing: observe)
            // Blobs are read-only, whoever made the file.
            guard fchmod(fd, 0o444) == 0 else { throw POSIX.storageError("cannot protect", path) }
            return StagedBlob(sha256: digest.sha256, size: digest.size, tempPath: path, fd: fd)
        } catch {
            close(fd)
            throw error
        }
    }

    /// Stages bytes already in memory, written from where they lie: not copied through the chunk buffer, which a
    /// server job would otherwise allocate (1 MiB) for one small upload.
    public func stage(bytes: Data, observing observe: (UnsafeRawBufferPointer) -> Void = { _ in }) throws(DiariumError) -> StagedBlob {
        try stage(pushing: { consume throws(DiariumError) in
            var failure: DiariumError?
            bytes.withUnsafeBytes { all in
                var offset = 0
                while offset < all.count, failure == nil {
                    let end = min(all.count, offset + Self.chunkSize)
                    do throws(DiariumError) { try consume(UnsafeRawBufferPointer(rebasing: all[offset..<end])) } catch { failure = error }
                    offset = end
                }
            }
            if let failure { throw failure }
        }, observing: observe)
    }

    /// Stages bytes pulled from `next`, which fills the buffer and returns the count (0 at the end).
    public func stage(from next: (UnsafeMutableRawBufferPointer) throws(DiariumError) -> Int,
                      observing observe: (UnsafeRawBufferPointer) -> Void = { _ in }) throws(DiariumError) -> StagedBlob {
        let buffer = buffer
        return try stage(pushing: { consume throws(DiariumError) in
            while true {
                let n = try next(buffer)
                if n == 0 { return }
                try consume(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            }
        }, observing: observe)
    }

    /// Stages bytes that `produce` pushes, chunk by chunk, into the consumer it is given (e.g. an archive entry
    /// being decompressed). The bytes are copied into the temp area and hashed as they arrive.
    public func stage(
        pushing produce: ((UnsafeRawBufferPointer) throws(DiariumError) -> Void) throws(DiariumError) -> Void,
        observing observe: (UnsafeRawBufferPointer) -> Void = { _ in }
    ) throws(DiariumError) -> StagedBlob {
        let area = try temp()
        let tempPath = area.newFilePath()
        let fd = try POSIX.open(tempPath, O_WRONLY | O_CREAT | O_EXCL, 0o444)
        var hasher = SHA256()
        var size: Int64 = 0
        var synced: Int64 = 0
        do {
            // Not kept past this call; the compiler cannot see that through `produce`, which takes a closure too.
            try withoutActuallyEscaping(observe) { observe throws(DiariumError) in try produce { chunk throws(DiariumError) in
                if chunk.count >= WriteLane.minimumChunk {
                    let lane = self.lane ?? WriteLane()
                    self.lane = lane
                    try lane.write(chunk, to: fd, path: tempPath) {
                        hasher.update(bufferPointer: chunk)
                        observe(chunk)
                    }
                } else {
                    hasher.update(bufferPointer: chunk)
                    observe(chunk)
                    try POSIX.writeAll(fd, chunk, path: tempPath)
                }
                size += Int64(chunk.count)
                if size - synced >= Self.writebackInterval {
                    POSIX.startWriteback(fd, offset: synced, length: size - synced)
                    synced = size
                }
            } }
        } catch {
            close(fd)
            unlink(tempPath)
            throw error
        }
        POSIX.startWriteback(fd, offset: synced, length: 0)
        return StagedBlob(sha256: Self.hex(hasher.finalize()), size: size, tempPath: tempPath, fd: fd)
    }

    /// A fresh, empty directory in this store's private temp area (e.g. for an export's scratch files). The caller
    /// removes it; failing that it goes with the temp area (when its process ends, or by the next `Store.open` if the
    /// process died).
    public func makeScratchDirectory() throws(DiariumError) -> String {
        let path = try temp().newFilePath() + ".d"
        try POSIX.makeDirectory(path)
        return path
    }

    /// Removes a directory `makeScratchDirectory` made, with whatever is still in it.
    public func removeScratchDirectory(_ path: String) {
        POSIX.removeTree(path)
    }

    /// Makes staged blobs durable and visible; see `BlobPublisher`.
    public func publish(_ blobs: [StagedBlob]) throws(DiariumError) {
        try publisher.publish(blobs)
    }

    /// Drops staged blobs that will not be published (not for published ones: `publisher.release`).
    public func discard(_ blobs: [StagedBlob]) {
        publisher.discard(blobs)
    }

    /// Streams a blob's bytes to `sink` in chunks, checking the digest as it goes. Throws `.integrity` at the
    /// end when the bytes do not match their name, so a caller writing a file can discard it.
    public func read(_ sha256: String, into sink: (UnsafeRawBufferPointer) throws(DiariumError) -> Void) throws(DiariumError) {
        let path = path(of: sha256)
        guard let fd = try openStored(sha256) else {
            throw DiariumError(.integrity, "content \(sha256) is missing from the store (\(path))")
        }
        defer { close(fd) }
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 4096)
        defer { buffer.deallocate() }
        var hasher = SHA256()
        while true {
            let n = try POSIX.read(fd, buffer.baseAddress!, buffer.count, path: path)
            if n == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            hasher.update(bufferPointer: chunk)
            try sink(chunk)
        }
        guard Self.hex(hasher.finalize()) == sha256 else {
            throw DiariumError(.integrity, "content \(sha256) does not match its digest: the stored file is damaged")
        }
    }

    /// Streams a blob's bytes without re-hashing them, for copying content elsewhere whose digest travels with it
    /// (an export's METS checksums come from the catalog, so whoever checks the package finds damage; `verify`
    /// finds it here). Throws `.integrity` when the file is missing.
    public func readUnverified(_ sha256: String, into sink: (UnsafeRawBufferPointer) throws(DiariumError) -> Void) throws(DiariumError) {
        let path = path(of: sha256)
        guard let fd = try openStored(sha256) else {
            throw DiariumError(.integrity, "content \(sha256) is missing from the store (\(path))")
        }
        defer { close(fd) }
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        while true {
            let n = try POSIX.read(fd, buffer.baseAddress!, buffer.count, path: path)
            if n == 0 { break }
            try sink(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }

    /// Re-hashes a stored blob. `nil` when the file is missing.
    public func rehash(_ sha256: String) throws(DiariumError) -> (sha256: String, size: Int64)? {
        guard let fd = try openStored(sha256) else { return nil }
        defer { close(fd) }
        return try FileDigest.sha256(of: fd, path: path(of: sha256), buffer: buffer)
    }

    /// A stored blob's file, open for reading; nil when there is none. A file that is there but cannot be opened (its
    /// folder's permissions changed, an I/O error) is an error saying so, not "missing": the operator looks elsewhere.
    private func openStored(_ sha256: String) throws(DiariumError) -> Int32? {
        let path = path(of: sha256)
        while true {
            let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            if fd >= 0 { return fd }
            switch errno {
            case EINTR: continue
            case ENOENT where !POSIX.fileExists(path): return nil
            default: throw DiariumError(.integrity, "content \(sha256) cannot be read (\(path)): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Every digest that has a file under `objects/`, for finding orphans.
    public func allStoredDigests() throws(DiariumError) -> [String] {
        var result: [String] = []
        for shard in try POSIX.listDirectory(objectsPath).sorted() where shard.utf8.count == 2 {
            result += try POSIX.listDirectory(objectsPath + "/" + shard).filter { $0.utf8.count == 64 }
        }
        return result
    }

    private func temp() throws(DiariumError) -> TempArea {
        if let tempArea { return tempArea }
        let area = try TempArea(root: tempRoot)
        tempArea = area
        return area
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        let digits = Array("0123456789abcdef".utf8)
        for byte in digest {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func hexByte(_ byte: UInt8) -> String { hex([byte]) }

    /// `true` for a 64-character lower-case hex string.
    public static func isDigest(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

/// Publishes staged blobs. A value type with no mutable state, so a batch can be published on a background
/// thread while the next batch is being staged.
public struct BlobPublisher: Sendable {
    public let objectsPath: String

    public func path(of sha256: String) -> String {
        "\(objectsPath)/\(sha256.prefix(2))/\(sha256)"
    }

    /// How a publication makes its files durable.
    public enum Durability: Sendable {
        /// fsync each file, then each touched shard directory: the syncs of a batch run side by side.
        case eachFile
        /// Two syncs of the whole file system (Linux `syncfs`): the files' bytes before they are linked into place,
        /// the new names after. For a group commit of many small files: one device flush stands for one per file
        /// (smallfile.c here, 4 KiB files: 17,300 files/s with a syncfs per 16, 2,700–2,800 with two fsyncs each).
        /// It also writes out whatever else is pending on that file system, such as a large upload arriving, which is
        /// why a single file keeps `eachFile`; large files start their write-back as they are written
        /// (`writebackInterval`), so little of them waits. Used by group commits, the CLI's batches and imports.
        case fileSystem

        /// For `count` files at once: `fileSystem` for several, where the kernel's `syncfs` reports write-back errors
        /// (Linux 5.8 and later; before, it reports none, and a batch could be committed whose bytes never reached
        /// the disk), else `eachFile`.
        public static func batch(of count: Int) -> Durability {
            count > 1 && syncfsReportsErrors ? .fileSystem : .eachFile
        }

        static let syncfsReportsErrors = POSIX.kernelRelease().map(syncfsReportsErrors(release:)) ?? false

        static func syncfsReportsErrors(release: String) -> Bool {
            let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
            guard parts.count == 2 else { return false }
            return (parts[0], parts[1]) >= (5, 8)
        }
    }

    /// Makes staged blobs durable and visible: their bytes durable, each linked into place (nothing to do when the
    /// same content is already stored), then the new names durable (`durability` says how). A name under `objects/`
    /// so never holds bytes that are not yet durable. A change that then fails to commit takes its files away again
    /// (`removeUnrecorded`).
    ///
    /// Each staged file keeps its temp name until `release`: the publication's own reserve copy. Should the stored
    /// file be removed as unreferenced before the change commits (a failed registration of the same bytes, or
    /// `removeUnreferenced`), the commit links the reserve back (`CatalogAccess.insertBlob`), so no file time or
    /// timing decides whether a file is still wanted.
    ///
    /// With `eachFile` the syncs of a batch are issued concurrently: the file system joins syncs that wait at the same
    /// time into fewer journal commits, so a batch costs little more than its slowest sync.
    public func publish(_ blobs: [StagedBlob], durability: Durability = .eachFile) throws(DiariumError) {
        // On failure the temp names go. What this call linked stays: another registration of the same bytes may have
        // committed a row naming it meanwhile, and only a removal under the write lock may decide (an orphan).
        func abandon(_ error: DiariumError) -> DiariumError {
            for blob in blobs { unlink(blob.tempPath) }
            return error
        }
        var wholeFileSystem = false
        if durability == .fileSystem, !blobs.isEmpty {
            for blob in blobs where blob.fd >= 0 { close(blob.fd) }
            do throws(DiariumError) { wholeFileSystem = try POSIX.syncFileSystem(of: objectsPath) } catch { throw abandon(error) }
        }
        let failures = Mutex<DiariumError?>(nil)
        if !wholeFileSystem {
            Self.concurrently(blobs.count) { i in
                let blob = blobs[i]
                do throws(DiariumError) {
                    // Descriptors still open are used (and closed); `fileSystem` closed them before it fell back here.
                    let fd = blob.fd >= 0 && durability == .eachFile ? blob.fd : try POSIX.open(blob.tempPath, O_RDONLY)
                    defer { close(fd) }
                    try POSIX.fsync(fd, path: blob.tempPath)
                } catch {
                    failures.withLock { $0 = $0 ?? error }
                }
            }
            if let failure = failures.withLock({ $0 }) { throw abandon(failure) }
        }
        var touched = Set<Substring>()
        for blob in blobs {
            let target = path(of: blob.sha256)
            // Already there (same bytes, or verify will say otherwise): whoever linked it may not have synced its
            // directory yet, or died before it could, so its shard is synced here too, since this commit will name it.
            if !POSIX.fileExists(target) {
                if link(blob.tempPath, target) == 0 {
                    // In place, and the temp name stays as the reserve.
                } else if errno == EPERM || errno == EOPNOTSUPP, rename(blob.tempPath, target) == 0 {
                    // A file system without hard links: no reserve copy, so a removal racing this commit fails it.
                } else if errno == EXDEV {
                    // Staged in tmp/, kept in objects/: a link cannot cross file systems (Storage/README.md).
                    throw abandon(DiariumError(.storage, "cannot store \(target): the store's tmp/ and objects/ are on different file "
                                               + "systems, and content staged in one is linked into the other; put both on one (move or "
                                               + "link the whole store, not one of its folders)"))
                } else if errno != EEXIST {
                    throw abandon(POSIX.storageError("cannot store", target))
                }
            }
            touched.insert(blob.sha256.prefix(2))
        }
        if wholeFileSystem {
            do throws(DiariumError) { _ = try POSIX.syncFileSystem(of: objectsPath) } catch { throw abandon(error) }
            return
        }
        let shards = Array(touched)
        Self.concurrently(shards.count) { i in
            do throws(DiariumError) { try POSIX.fsyncDirectory("\(objectsPath)/\(shards[i])") } catch {
                failures.withLock { $0 = $0 ?? error }
            }
        }
        if let failure = failures.withLock({ $0 }) { throw abandon(failure) }
    }

    /// Drops the reserve copies of published blobs once their change has committed or failed (see `publish`).
    public func release(_ blobs: [StagedBlob]) {
        for blob in blobs { unlink(blob.tempPath) }
    }

    /// Runs `body` for 0..<count on up to 8 threads at once (inline for one item). Threads of their own, not
    /// `concurrentPerform`: that is as wide as the CPU count, and these threads wait on the disk, not the CPU.
    private static func concurrently(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        guard count > 1 else {
            if count == 1 { body(0) }
            return
        }
        let lanes = min(count, 8)
        let group = DispatchGroup()
        for lane in 1..<lanes {
            group.enter()
            Thread {
                var i = lane
                while i < count {
                    body(i)
                    i += lanes
                }
                group.leave()
            }.start()
        }
        var i = 0
        while i < count {
            body(i)
            i += lanes
        }
        group.wait()
    }

    /// Drops staged blobs that will not be published.
    public func discard(_ blobs: [StagedBlob]) {
        for blob in blobs {
            if blob.fd >= 0 { close(blob.fd) }
            unlink(blob.tempPath)
        }
    }
}
