#if canImport(Glibc)
import Glibc
#endif
import DiariumCore
import DiariumPackage

/// An append-only temp file that hashes what is written to it: how a metadata document too big to hold in memory
/// (ERMS, PREMIS, METS of a large export) is built piece by piece, then streamed into the archive. Removed on deinit.
final class ScratchFile {
    let path: String
    private let fd: Int32
    private var pending: [UInt8] = []
    private var hasher = SHA256Hex.Hasher()
    private(set) var size: Int64 = 0
    private var closedForWriting = false
    private var handedOver = false

    init(directory: String, name: String) throws(DiariumError) {
        path = "\(directory)/\(name)"
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DiariumError(.storage, "cannot create \(path): \(String(cString: strerror(errno)))") }
        pending.reserveCapacity(1 << 16)
    }

    deinit {
        guard !handedOver else { return }
        close(fd)
        unlink(path)
    }

    /// Flushes and closes the file and gives it up: from now on it is the caller's to read and remove (a package's
    /// spilled metadata document, `PackageDocument`, which must not hold a descriptor per document). Returns its SHA-256.
    func handOver() throws(DiariumError) -> String {
        let sha256 = try finish()
        handedOver = true
        close(fd)
        return sha256
    }

    func append(_ text: String) throws(DiariumError) {
        pending.append(contentsOf: text.utf8)
        if pending.count >= 1 << 16 { try flush() }
    }

    func append(_ bytes: [UInt8]) throws(DiariumError) {
        pending.append(contentsOf: bytes)
        if pending.count >= 1 << 16 { try flush() }
    }

    /// Appends everything `other` holds.
    func append(contentsOf other: ScratchFile) throws(DiariumError) {
        try other.read { chunk throws(DiariumError) in try self.append(Array(chunk)) }
    }

    private func flush() throws(DiariumError) {
        guard !pending.isEmpty else { return }
        var failure: DiariumError?
        pending.withUnsafeBytes { chunk in
            hasher.update(chunk)
            var offset = 0
            while offset < chunk.count {
                let n = write(fd, chunk.baseAddress! + offset, min(chunk.count - offset, WriteSize.maximum))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = DiariumError(.storage, "cannot write \(path): \(String(cString: strerror(errno)))")
                    return
                }
                offset += n
            }
        }
        if let failure { throw failure }
        size += Int64(pending.count)
        pending.removeAll(keepingCapacity: true)
    }

    /// Flushes and returns the SHA-256 of the whole file; no appends after this.
    func finish() throws(DiariumError) -> String {
        try flush()
        closedForWriting = true
        return hasher.finalize()
    }

    /// Streams the file's bytes from the start, in 1 MiB chunks.
    func read(_ consume: (UnsafeRawBufferPointer) throws(DiariumError) -> Void) throws(DiariumError) {
        if !closedForWriting { try flush() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while true {
            let n = pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw DiariumError(.storage, "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            try consume(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            offset += Int64(n)
        }
    }

    /// Adds the file to an archive as one entry.
    func add(to archive: ArchiveWriter, path entryPath: String, modified: Int64, compress: Bool) throws(DiariumError) {
        if !closedForWriting { _ = try finish() }
        try archive.addFile(entryPath, size: size, modified: modified, compress: compress) { write throws(DiariumError) in
            try withoutActuallyEscaping(write) { (escapable) throws(DiariumError) in try read(escapable) }
        }
    }
}

/// Splits an XML skeleton at the offset `XMLWriter.insertionPoint()` returned.
func split(_ output: String, at offset: Int) -> (head: String, tail: String) {
    (String(decoding: output.utf8.prefix(offset), as: UTF8.self), String(decoding: output.utf8.dropFirst(offset), as: UTF8.self))
}
