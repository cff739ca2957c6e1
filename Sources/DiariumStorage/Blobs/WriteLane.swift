#if canImport(Glibc)
import Glibc
#endif
import DiariumCore
import Foundation

/// A second thread that writes a chunk while the caller hashes the same chunk: staging a large file costs about
/// max(hash, write) per chunk instead of their sum. Fork–join per chunk, so the chunk is never copied, the caller's
/// buffer is free again when `write` returns, and a write error surfaces at once with its path.
///
/// One lane per `BlobStore` (not Sendable, used by one task), made on the first large chunk; its thread ends when
/// the lane is released.
final class WriteLane: @unchecked Sendable {
    /// Below this, handing a chunk to the other thread costs more than it saves.
    static let minimumChunk = 128 << 10

    private let start = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    // Set by the caller before `start.signal()`, read by the worker after `start.wait()` (and the reverse for
    // `failure` through `done`): the semaphores order every access.
    private var fd: Int32 = -1
    private var chunk = UnsafeRawBufferPointer(start: nil, count: 0)
    private var path = ""
    private var failure: DiariumError?
    private var stopping = false

    init() {
        let thread = Thread { [self] in run() }
        thread.name = "diarium-write-lane"
        thread.start()
    }

    /// Ends the worker thread. Call once, when the lane is no longer needed (the thread holds the lane alive).
    func stop() {
        stopping = true
        start.signal()
    }

    /// Writes `chunk` to `fd` on the lane's thread while `alongside` runs on this one; returns when both are done.
    func write(_ chunk: UnsafeRawBufferPointer, to fd: Int32, path: String, alongside: () -> Void) throws(DiariumError) {
        self.fd = fd
        self.chunk = chunk
        self.path = path
        failure = nil
        start.signal()
        alongside()
        done.wait()
        self.chunk = UnsafeRawBufferPointer(start: nil, count: 0)
        if let failure { throw failure }
    }

    private func run() {
        while true {
            start.wait()
            if stopping { return }
            do throws(DiariumError) { try POSIX.writeAll(fd, chunk, path: path) } catch { failure = error }
            done.signal()
        }
    }
}
