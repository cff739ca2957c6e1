#if canImport(Glibc)
import Glibc
#endif
import DiariumCore
import DiariumXML

/// A metadata document of a package (METS, ERMS, PREMIS, a bag's tag file) as the reader read it: in memory, or —
/// when larger than `PackageReader.Options.spillAbove` and the reader was given a scratch directory — in a temp file
/// there, read back a chunk at a time by the streaming parsers, so a package's size is not bounded by memory. The
/// file is removed when the document goes. The bytes are those that were hashed: a directory's file is copied, not
/// read again in place.
public final class PackageDocument: Sendable {
    public let size: Int64
    private let memory: [UInt8]?
    /// The temp file holding it, when it is not held in memory; valid while the document exists.
    public let filePath: String?

    init(bytes: [UInt8]) {
        size = Int64(bytes.count)
        memory = bytes
        filePath = nil
    }

    /// Takes over a file `ScratchFile.handOver` gave up, of `size` bytes.
    init(handedOver path: String, size: Int64) {
        self.size = size
        memory = nil
        filePath = path
    }

    deinit {
        if let filePath { unlink(filePath) }
    }

    /// For the streaming parsers (`MarkupElement.stream`, `forEach`).
    public var xml: XMLInput {
        if let memory { return .bytes(memory) }
        return .file(filePath!)
    }

    /// The bytes, read back from the temp file when they are there: for what must have the whole document (a bag
    /// manifest, a foreign package's metadata checked for restrictions). Past `limit` this throws, naming `path`.
    public func bytes(upTo limit: Int, path: String) throws(DiariumError) -> [UInt8] {
        if let memory { return memory }
        guard size <= Int64(limit) else {
            throw DiariumError.invalid("package", "\(path) is \(size) bytes, more than the \(limit) this reads into memory")
        }
        let file = filePath!
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DiariumError(.storage, "cannot read \(file) back: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        var done = 0
        var failure: DiariumError?
        bytes.withUnsafeMutableBytes { buffer in
            while done < buffer.count {
                let n = read(fd, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    failure = DiariumError(.storage, "cannot read \(file) back: " + (n < 0 ? String(cString: strerror(errno)) : "it is shorter"))
                    return
                }
                done += n
            }
        }
        if let failure { throw failure }
        return bytes
    }
}
