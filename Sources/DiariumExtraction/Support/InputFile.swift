#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file opened for reading (closed in deinit). Messages name `displayName`, never the internal path.
final class InputFile {
    let displayName: String
    let size: Int64
    private let fd: Int32

    init(path: String, displayName: String) throws(ExtractionStop) {
        self.displayName = displayName
        var fd: Int32
        repeat { fd = open(path, O_RDONLY | O_CLOEXEC) } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw .failed("cannot open the file: \(String(cString: strerror(errno)))") }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw .failed("not a regular file")
        }
        self.fd = fd
        size = Int64(st.st_size)
    }

    deinit { close(fd) }

    /// Up to `count` bytes; fewer (or none) at the end of the file. The buffer is sized by what is left of the file
    /// (plus a byte, to see its end), not by `count`: a 2 KB file cost a zeroed 1 MiB buffer per registration. It
    /// grows only should the file have grown since it was opened.
    func read(upTo count: Int) throws(ExtractionStop) -> [UInt8] {
        let position = Int64(max(lseek(fd, 0, SEEK_CUR), 0))
        var bytes = [UInt8](repeating: 0, count: min(count, Int(min(max(size - position, 0), Int64(count))) + 1))
        var filled = 0
        while filled < count {
            if filled == bytes.count {
                bytes.append(contentsOf: repeatElement(0, count: min(count - filled, max(filled, 4096))))
            }
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw .failed("cannot read the file: \(String(cString: strerror(errno)))")
            }
            filled += n
        }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }

    /// Up to `count` bytes from `offset` (fewer at the end of the file), leaving the position of `read(upTo:)` as it is.
    func read(at offset: Int64, count: Int) throws(ExtractionStop) -> [UInt8] {
        guard count > 0, offset >= 0 else { return [] }
        let available = Int(min(max(size - offset, 0), Int64(count)))
        var bytes = [UInt8](repeating: 0, count: available)
        var filled = 0
        while filled < available {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + filled, available - filled, off_t(offset) + off_t(filled)) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw .failed("cannot read the file: \(String(cString: strerror(errno)))")
            }
            filled += n
        }
        bytes.removeLast(available - filled)
        return bytes
    }

    /// The whole file, refused when larger than `maxBytes` (checked again while reading: the file may grow).
    func readAll(maxBytes: Int64) throws(ExtractionStop) -> [UInt8] {
        guard size <= maxBytes else { throw tooLarge(maxBytes) }
        let bytes = try read(upTo: Int(size))
        if try !read(upTo: 1).isEmpty { throw tooLarge(maxBytes) }
        return bytes
    }

    func rewind() throws(ExtractionStop) {
        if lseek(fd, 0, SEEK_SET) < 0 { throw .failed("cannot read the file: \(String(cString: strerror(errno)))") }
    }

    private func tooLarge(_ maxBytes: Int64) -> ExtractionStop {
        .unsupported("the file is larger than the text extraction limit of \(maxBytes) bytes")
    }
}
