#if canImport(Glibc)
import Glibc
#endif
import DiariumCore
import DiariumExtraction
import DiariumStorage

/// The texts an import extracted, kept in a temp file until its one transaction writes them: held in memory, a
/// series of a hundred thousand documents (up to 1 MiB of text each) would take gigabytes. Removed on deinit.
final class TextSpool {
    struct Entry {
        let sha256: String
        let rendition: TextRendition
        let format: IdentifiedFormat?
        let offset: Int64
        let length: Int
    }

    private let path: String
    private let fd: Int32
    private var end: Int64 = 0
    private(set) var entries: [Entry] = []

    init(directory: String) throws(DiariumError) {
        path = "\(directory)/texts"
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DiariumError(.storage, "cannot create \(path): \(String(cString: strerror(errno)))") }
    }

    deinit {
        close(fd)
        unlink(path)
    }

    func append(sha256: String, _ extraction: TextExtraction) throws(DiariumError) {
        var text = extraction.text
        let length = text.utf8.count
        let offset = end
        var failure: DiariumError?
        text.withUTF8 { bytes in
            var done = 0
            while done < bytes.count {
                let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = DiariumError(.storage, "cannot write \(path): \(String(cString: strerror(errno)))")
                    return
                }
                done += n
            }
        }
        if let failure { throw failure }
        end += Int64(length)
        entries.append(Entry(sha256: sha256, rendition: extraction.rendition, format: extraction.format, offset: offset, length: length))
    }

    /// An entry's text, read back.
    func text(of entry: Entry) throws(DiariumError) -> String {
        var failure: DiariumError?
        let text = String(unsafeUninitializedCapacity: entry.length) { buffer in
            var done = 0
            while done < entry.length {
                let n = pread(fd, buffer.baseAddress! + done, entry.length - done, off_t(entry.offset) + off_t(done))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    failure = DiariumError(.storage, "cannot read \(path) back: " + (n < 0 ? String(cString: strerror(errno)) : "it is shorter"))
                    return 0
                }
                done += n
            }
            return done
        }
        if let failure { throw failure }
        return text
    }
}
