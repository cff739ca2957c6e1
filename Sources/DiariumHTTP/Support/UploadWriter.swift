#if canImport(Glibc)
import Glibc
#endif
import DiariumCore
import DiariumStorage
import Hummingbird
import NIOCore
import NIOPosix

/// Writes a request body (or one multipart part) to a file in the upload area, in chunks gathered to `batchSize`
/// and written on the thread pool, never holding more than that in memory. Counts bytes against `limit`: past it the
/// file is removed and a 413 thrown. The owner removes the file after use (`discard`).
final class UploadWriter: @unchecked Sendable {
    static let batchSize = 1 << 20

    let path: String
    let limit: Int64
    private let threadPool: NIOThreadPool
    private var fd: Int32 = -1
    /// The file exists (a body kept in memory never makes one).
    private var created = false
    private var pending: ByteBuffer
    private(set) var size: Int64 = 0
    /// Bytes written to the file, and how many of them were sent on to the disk (`BlobStore.writebackInterval`).
    private var written: Int64 = 0
    private var writtenBack: Int64 = 0

    /// The bytes received so far (all of them once `finish` returned).
    var bytesWritten: Int64 { written }

    init(path: String, limit: Int64, threadPool: NIOThreadPool) {
        self.path = path
        self.limit = limit
        self.threadPool = threadPool
        pending = ByteBufferAllocator().buffer(capacity: 0)
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    func write(_ chunk: ByteBuffer) async throws {
        size += Int64(chunk.readableBytes)
        if size > limit { throw Self.tooLarge(limit) }
        var chunk = chunk
        pending.writeBuffer(&chunk)
        if pending.readableBytes >= Self.batchSize { try await flush() }
    }

    /// Writes what is pending and closes the file. The data is not synced here: the blob store syncs it when it takes
    /// the file over (or its copy of it).
    func finish() async throws {
        try await flush()
        if fd < 0 { try await open() }
        close(fd)
        fd = -1
    }

    /// As `finish`, but a body that never reached `batchSize` is handed back instead, and no file is made: a small
    /// upload then costs no trips to the thread pool (two, before: to create the file and to write it).
    func finishInMemory() async throws -> ByteBuffer? {
        if fd < 0 { return pending }
        try await finish()
        return nil
    }

    /// Whether `count` more bytes would only be held in memory: neither written to the file nor over the limit.
    func staysInMemory(adding count: Int) -> Bool {
        fd < 0 && pending.readableBytes + count < Self.batchSize && size + Int64(count) <= limit
    }

    func discard() {
        if fd >= 0 { close(fd); fd = -1 }
        if created { unlink(path) }
    }

    private func open() async throws {
        let path = path
        fd = try await threadPool.runIfActive {
            let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw DiariumError(.storage, "cannot create upload file \(path): \(String(cString: strerror(errno)))") }
            return fd
        }
        created = true
    }

    private func flush() async throws {
        guard pending.readableBytes > 0 else { return }
        if fd < 0 { try await open() }
        let data = pending
        // Capacity grows as chunks come; a small upload never pays for a batch-sized buffer.
        pending = ByteBufferAllocator().buffer(capacity: 0)
        let fd = fd
        let path = path
        written += Int64(data.readableBytes)
        // A large upload is sent on to the disk as it arrives, so that it never holds GiBs of dirty pages for a group
        // commit's sync of the file system (or its own final fsync) to wait for.
        let writeback = written - writtenBack >= BlobStore.writebackInterval ? (offset: writtenBack, length: written - writtenBack) : nil
        if writeback != nil { writtenBack = written }
        try await threadPool.runIfActive {
            try data.withUnsafeReadableBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let n = Glibc.write(fd, bytes.baseAddress! + offset, min(bytes.count - offset, WriteSize.maximum))
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw DiariumError(.storage, "cannot write upload file \(path): \(String(cString: strerror(errno)))")
                    }
                    offset += n
                }
            }
            if let writeback { BlobStore.startWriteback(fd, offset: writeback.offset, length: writeback.length) }
        }
    }

    /// `fileLimit`: the limit is a multipart body's, the file's own plus room for metadata and framing; the file's
    /// is the one a client sets out to keep within (`--max-upload`), so it is named first.
    static func tooLarge(_ limit: Int64, fileLimit: Int64? = nil) -> Problem {
        Problem(status: .contentTooLarge, code: "content-too-large", title: "Content too large",
                detail: fileLimit.map { "The upload is larger than this server takes: a file of at most \($0) bytes (\($0 >> 20) MiB); "
                                        + "the whole multipart body, the metadata and framing with it, at most \(limit) bytes." }
                    ?? "The upload is larger than this server's limit of \(limit) bytes.")
    }

    /// A declared `Content-Length` over the limit is refused before a byte is read.
    static func checkDeclaredLength(_ request: Request, limit: Int64, fileLimit: Int64? = nil) throws {
        if let declared = request.headers[.contentLength].flatMap(Int64.init), declared > limit { throw tooLarge(limit, fileLimit: fileLimit) }
    }
}
