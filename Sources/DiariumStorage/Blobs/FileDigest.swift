#if canImport(Glibc)
import Glibc
#endif
import Crypto
import DiariumCore

/// SHA-256 and size of any file (a written package, say), read in 1 MiB chunks.
public enum FileDigest {
    public static func sha256(of path: String) throws(DiariumError) -> (sha256: String, size: Int64) {
        let fd = try POSIX.open(path, O_RDONLY)
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        defer { buffer.deallocate() }
        return try sha256(of: fd, path: path, buffer: buffer)
    }

    /// Reads an open file from where it stands to its end through `buffer`; `path` only names it in errors.
    static func sha256(of fd: Int32, path: String, buffer: UnsafeMutableRawBufferPointer,
                       observing observe: (UnsafeRawBufferPointer) -> Void = { _ in }) throws(DiariumError) -> (sha256: String, size: Int64) {
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        var hasher = SHA256()
        var size: Int64 = 0
        while true {
            let n = try POSIX.read(fd, buffer.baseAddress!, buffer.count, path: path)
            if n == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            hasher.update(bufferPointer: chunk)
            observe(chunk)
            size += Int64(n)
        }
        return (BlobStore.hex(hasher.finalize()), size)
    }
}
