#if canImport(Glibc)
import Glibc
#endif
import Crypto
import DiariumCore
import DiariumServices
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The response for a stored file: strong ETag (the SHA-256), `If-None-Match` → 304, one byte range → 206 (416
/// when it cannot be satisfied), and the body streamed from the blob file on the thread pool, never held in memory.
package enum ContentResponse {
    static let chunkSize = 128 * 1024

    static func make(_ file: PublicContentFile, request: Request, threadPool: NIOThreadPool, logger: Logger) throws -> Response {
        let etag = "\"\(file.sha256)\""
        var headers: HTTPFields = [
            .eTag: etag,
            .acceptRanges: "bytes",
            // Final content can still become restricted (a corrected restriction): caches must ask again.
            .cacheControl: "no-cache",
            .contentDisposition: contentDisposition(fileName: file.fileName),
            // Stored files come from anyone: never sniffed, never run as a page of this site.
            .xContentTypeOptions: "nosniff",
            .contentSecurityPolicy: "sandbox",
        ]
        // RFC 9110 §13.2.2: If-Match first (a client assembling pieces must not get another representation's bytes),
        // then If-None-Match, then Range.
        if let condition = request.headers[.ifMatch], !matchesStrongly(condition, etag: etag) {
            throw Problem(status: .preconditionFailed, code: "precondition-failed", title: "Precondition failed",
                          detail: "The content's ETag is \(etag), not what If-Match names.", field: "If-Match", headers: [.eTag: etag])
        }
        if let condition = request.headers[.ifNoneMatch], matches(condition, etag: etag) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = file.mediaType
        let range = Self.range(request, size: file.size, etag: etag)
        switch range {
        case .full:
            let body = file.size == 0 ? ResponseBody() : stream(file, range: 0...(file.size - 1), verify: true, threadPool: threadPool, logger: logger)
            return Response(status: .ok, headers: headers, body: body)
        case .partial(let bytes):
            headers[.contentRange] = "bytes \(bytes.lowerBound)-\(bytes.upperBound)/\(file.size)"
            // Only the whole content can be checked against its digest: a range that is all of it (`bytes=0-`, what
            // many clients send) is, a piece is not (the ETag is the SHA-256, to check the pieces put together).
            return Response(status: .partialContent, headers: headers,
                            body: stream(file, range: bytes, verify: bytes == 0...(file.size - 1), threadPool: threadPool, logger: logger))
        case .unsatisfiable:
            throw Problem(status: .rangeNotSatisfiable, code: "range-not-satisfiable", title: "Range not satisfiable",
                          detail: "The content has \(file.size) bytes; the requested range lies outside it.", field: "Range",
                          headers: [.contentRange: "bytes */\(file.size)", .acceptRanges: "bytes"])
        }
    }

    /// Whether `make` answers a request for this content with its bytes: not a HEAD, a 304 or a 416. A read of
    /// restricted content is audited only then, so the log does not claim reads that delivered nothing.
    static func delivers(size: Int64, sha256: String, request: Request) -> Bool {
        guard request.method != .head else { return false }
        let etag = "\"\(sha256)\""
        if let condition = request.headers[.ifMatch], !matchesStrongly(condition, etag: etag) { return false }
        if let condition = request.headers[.ifNoneMatch], matches(condition, etag: etag) { return false }
        return range(request, size: size, etag: etag) != .unsatisfiable
    }

    /// The range to send. Only GET has ranges (RFC 9110 §14.2: a HEAD tells the whole size); If-Range with another
    /// validator (or a date: there is no Last-Modified) means "send it all".
    static func range(_ request: Request, size: Int64, etag: String) -> ByteRange {
        guard request.method == .get, request.headers[.ifRange] == nil || request.headers[.ifRange] == etag else { return .full }
        return ByteRange.parse(request.headers[.range], size: size)
    }

    /// `If-Match`: `*` or a list of entity tags, compared strongly (RFC 9110 §13.1.1): a weak tag never matches.
    package static func matchesStrongly(_ condition: String, etag: String) -> Bool {
        condition.split(separator: ",").contains { item in
            let tag = item.trimmingSpaces()
            return tag == "*" || tag == etag
        }
    }

    /// `If-None-Match`: `*` or a list of entity tags, compared weakly (RFC 9110 §13.1.2).
    package static func matches(_ condition: String, etag: String) -> Bool {
        condition.split(separator: ",").contains { item in
            var tag = item.trimmingSpaces()
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            return tag == etag
        }
    }

    /// `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266, RFC 8187): an ASCII fallback for old clients, the
    /// exact name for the others.
    package static func contentDisposition(fileName given: String) -> String {
        // Names stored before the file-name rule, or imported, may still hold "/" or a bidirectional override.
        let fileName = TextRules.safeFileName(given)
        // The fallback: letters without their diacritics (å → a), anything else outside printable ASCII, the
        // characters that would end or escape the quoted string, and "%" (some clients decode it), replaced by "_".
        var fallback = ""
        for scalar in fileName.decomposedStringWithCanonicalMapping.unicodeScalars {
            if scalar.properties.generalCategory == .nonspacingMark { continue }
            if scalar.isASCII, scalar.value >= 0x20, scalar.value < 0x7f, scalar != "\"", scalar != "\\", scalar != "/", scalar != "%" {
                fallback.unicodeScalars.append(scalar)
            } else {
                fallback.append("_")
            }
        }
        var encoded = ""
        for byte in fileName.replacingOccurrences(of: "/", with: "_").utf8 {
            if isAttrChar(byte) {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return "attachment; filename=\"\(fallback)\"; filename*=UTF-8''\(encoded)"
    }

    /// RFC 8187 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~".
    static func isAttrChar(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: "!#$&+-.^_`|~".utf8.contains(byte)
        }
    }

    /// Streams `range` of the blob file in chunks read on the thread pool.
    ///
    /// With `verify`, the chunks are hashed as they are read and the last chunk is held back until the digest is
    /// known: when the bytes do not match their name, the response ends short (the client sees a broken transfer,
    /// never a complete damaged file) and the damage is logged.
    static func stream(_ file: PublicContentFile, range: ClosedRange<Int64>, verify: Bool, threadPool: NIOThreadPool,
                       logger: Logger) -> ResponseBody {
        ResponseBody(contentLength: Int(range.upperBound - range.lowerBound + 1)) { writer in
            let path = file.path
            let reader = try await threadPool.runIfActive { try BlobFileReader(path: path) }
            var offset = range.lowerBound
            let end = range.upperBound + 1
            var held: ByteBuffer?
            while offset < end {
                let at = offset
                let count = Int(min(Int64(ContentResponse.chunkSize), end - at))
                let chunk = try await threadPool.runIfActive { try reader.read(at: at, count: count) }
                offset += Int64(chunk.readableBytes)
                if let held { try await writer.write(held) }
                held = chunk
            }
            if verify {
                let digest = reader.digest()
                guard digest == file.sha256 else {
                    logger.error("stored content does not match its digest", metadata: [
                        "content.sha256": .string(file.sha256), "content.actual": .string(digest), "content.path": .string(file.path),
                    ])
                    throw DamagedContent()
                }
            }
            if let held { try await writer.write(held) }
            try await writer.finish(nil)
        }
    }

    struct DamagedContent: Error {}
}

/// What a `Range` header asks for, against content of a known size (RFC 9110 §14). One range only: a request
/// for several is answered with the whole content, which the RFC allows; so is a header that cannot be parsed.
package enum ByteRange: Equatable {
    case full
    case partial(ClosedRange<Int64>)
    case unsatisfiable

    package static func parse(_ header: String?, size: Int64) -> ByteRange {
        guard let header else { return .full }
        let trimmed = header.trimmingSpaces()
        guard trimmed.lowercased().hasPrefix("bytes=") else { return .full }
        let specs = trimmed.dropFirst(6).split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        guard specs.count == 1, let dash = specs[0].firstIndex(of: "-") else { return .full }
        let first = specs[0][..<dash]
        let last = specs[0][specs[0].index(after: dash)...]
        func number(_ text: Substring) -> Int64? {
            guard !text.isEmpty, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
            return Int64(text) ?? Int64.max   // more digits than fit: beyond any content
        }
        if first.isEmpty {
            // Suffix: the last N bytes.
            guard let length = number(last) else { return .full }
            guard length > 0 else { return .unsatisfiable }
            guard size > 0 else { return .full }   // the only satisfiable range of empty content: all of it (nothing)
            return .partial(max(0, size - length)...(size - 1))
        }
        guard let start = number(first) else { return .full }
        var end = size - 1
        if !last.isEmpty {
            guard let requested = number(last) else { return .full }
            guard requested >= start else { return .full }   // invalid: ignored
            end = min(requested, size - 1)
        }
        guard start < size else { return .unsatisfiable }   // so any first byte of empty content (RFC 9110 §14.1.1)
        return .partial(start...end)
    }
}

/// An open blob file read in chunks at given offsets, hashing what it reads. Each call blocks: run it on the thread
/// pool. Sendable through the lock around the running digest; the descriptor closes when the reader goes away.
final class BlobFileReader: Sendable {
    private let fd: Int32
    private let path: String
    private let hasher = Mutex(SHA256())

    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ReadError(path: path, errno: errno) }
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
    }

    deinit { close(fd) }

    /// Exactly `count` bytes from `offset`, or an error (the file ended early or could not be read).
    func read(at offset: Int64, count: Int) throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        var done = 0
        while done < count {
            let n = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count - done) { target -> Int in
                while true {
                    let n = pread(fd, target.baseAddress!, count - done, off_t(offset + Int64(done)))
                    if n >= 0 { return n }
                    if errno != EINTR { throw ReadError(path: path, errno: errno) }
                }
            }
            guard n > 0 else { throw ReadError(path: path, errno: 0) }
            done += n
        }
        let chunk = buffer
        hasher.withLock { hasher in
            chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        }
        return chunk
    }

    /// Hex SHA-256 of everything read so far, in order.
    func digest() -> String {
        hasher.withLock { hasher in
            hasher.finalize().map { byte in String(byte, radix: 16).leftPadded(to: 2) }.joined()
        }
    }

    struct ReadError: Error, CustomStringConvertible {
        let path: String
        let errno: Int32
        var description: String {
            errno == 0 ? "\(path) ended before the expected size" : "cannot read \(path): \(String(cString: strerror(errno)))"
        }
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
