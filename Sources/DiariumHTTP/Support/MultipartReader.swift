import DiariumCore
import Foundation
import NIOCore

/// A streaming `multipart/form-data` reader (RFC 7578): feed it the body's chunks, get part starts, data and ends.
/// It keeps only a part's headers and the few bytes that might begin a delimiter, so a 1 GiB file part passes
/// through in constant memory. Malformed input is a `DiariumError` naming the problem.
package struct MultipartReader {
    package struct PartHeaders: Sendable, Equatable {
        package let name: String
        package let fileName: String?
        package let contentType: String?
    }

    package enum Event {
        case start(PartHeaders)
        case data(ByteBuffer)
        case end
    }

    static let maxHeaderBytes = 16 * 1024
    static let maxParts = 16
    static let maxPaddingBytes = 256
    /// Room for what is not part data: delimiters, part headers, a short preamble and epilogue.
    static let maxFramingBytes = maxParts * (maxHeaderBytes + 2 * 80 + maxPaddingBytes)

    private enum State { case preamble, afterDelimiter, headers, body, epilogue }

    /// CRLF "--" boundary: what ends a part's data (the body start is treated as if preceded by CRLF).
    private let delimiter: [UInt8]
    private var state = State.preamble
    private var buffer: [UInt8] = [13, 10]
    private var parts = 0
    /// How much of the current part's headers has been searched for their end: each chunk searches only what is new,
    /// or a client sending its headers a byte at a time would have us rescan up to 16 KiB per byte.
    private var headersSearched = 0
    /// Bytes handed to the searches so far: linear in the body however it was chunked (a test holds it to that).
    package private(set) var bytesSearched = 0

    package init(boundary: String) {
        delimiter = Array("\r\n--\(boundary)".utf8)
    }

    /// The boundary of a `multipart/form-data` content type, or an error naming what is wrong.
    package static func boundary(contentType: String?) throws(DiariumError) -> String {
        guard let contentType else { throw .invalid("Content-Type", "send multipart/form-data (metadata and file parts) or application/json") }
        let parameters = contentType.split(separator: ";").map { $0.trimmingSpaces() }
        guard parameters.first?.lowercased() == "multipart/form-data" else {
            throw .invalid("Content-Type", "expected multipart/form-data or application/json, not \(parameters.first ?? "")")
        }
        for parameter in parameters.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map(String.init)
            if pair.count == 2, pair[0].lowercased() == "boundary" {
                var value = pair[1]
                if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
                guard (1...70).contains(value.utf8.count) else { throw .invalid("Content-Type", "the multipart boundary must be 1–70 characters") }
                return value
            }
        }
        throw .invalid("Content-Type", "multipart/form-data needs a boundary parameter")
    }

    package mutating func feed(_ chunk: ByteBuffer) throws(DiariumError) -> [Event] {
        buffer.append(contentsOf: chunk.readableBytesView)
        return try process()
    }

    /// The body has ended: it must have ended with the closing delimiter.
    package func finish() throws(DiariumError) {
        guard state == .epilogue else {
            throw .invalid("body", "the multipart body ended early (no closing boundary): the upload may have been cut off")
        }
    }

    private mutating func process() throws(DiariumError) -> [Event] {
        var events: [Event] = []
        var position = 0
        loop: while true {
            switch state {
            case .preamble:
                guard let found = find(delimiter, from: position) else {
                    position = max(position, buffer.count - delimiter.count)
                    break loop
                }
                position = found + delimiter.count
                state = .afterDelimiter
            case .afterDelimiter:
                guard buffer.count - position >= 2 else { break loop }
                if buffer[position] == UInt8(ascii: "-") && buffer[position + 1] == UInt8(ascii: "-") {
                    state = .epilogue
                    position = buffer.count
                    break loop
                }
                // Transport padding (spaces, tabs) may follow a delimiter before its CRLF.
                var at = position
                while at < buffer.count, buffer[at] == 32 || buffer[at] == 9 { at += 1 }
                // Bounded, or a stream of spaces would be rescanned on every chunk.
                guard at - position <= Self.maxPaddingBytes else { throw .invalid("body", "malformed multipart body: more than \(Self.maxPaddingBytes) bytes of padding after a boundary") }
                guard buffer.count - at >= 2 else { break loop }
                guard buffer[at] == 13, buffer[at + 1] == 10 else { throw .invalid("body", "malformed multipart body: a boundary is not followed by a line break") }
                position = at + 2
                state = .headers
            case .headers:
                // The same limit however the body was chunked: on the headers' length when their end has arrived,
                // else on what has arrived but the last three bytes, which may begin that end.
                let end = find([13, 10, 13, 10], from: position + headersSearched)
                if (end ?? buffer.count - 3) - position > Self.maxHeaderBytes {
                    throw .invalid("body", "a multipart part's headers are longer than 16 KiB")
                }
                guard let end else {
                    headersSearched = max(0, buffer.count - 3 - position)
                    break loop
                }
                headersSearched = 0
                // Decoded strictly: a Latin-1 file name would otherwise be stored with U+FFFD in it, for good once final.
                guard let text = String(validating: buffer[position..<end], as: UTF8.self) else {
                    throw .invalid("body", "a multipart part's headers are not UTF-8 (a file name in another encoding?): send names as UTF-8")
                }
                parts += 1
                if parts > Self.maxParts { throw .invalid("body", "more than \(Self.maxParts) multipart parts") }
                events.append(.start(try Self.headers(text)))
                position = end + 4
                state = .body
            case .body:
                if let found = find(delimiter, from: position) {
                    if found > position { events.append(.data(ByteBuffer(bytes: buffer[position..<found]))) }
                    events.append(.end)
                    position = found + delimiter.count
                    state = .afterDelimiter
                } else {
                    // Keep what could be the start of a delimiter split across chunks.
                    let safe = buffer.count - (delimiter.count - 1)
                    if safe > position {
                        events.append(.data(ByteBuffer(bytes: buffer[position..<safe])))
                        position = safe
                    }
                    break loop
                }
            case .epilogue:
                position = buffer.count
                break loop
            }
        }
        buffer.removeFirst(position)
        return events
    }

    private mutating func find(_ needle: [UInt8], from start: Int) -> Int? {
        guard buffer.count - start >= needle.count else { return nil }
        bytesSearched += buffer.count - start
        return buffer.withUnsafeBytes { ByteSearch.firstIndex(of: needle, in: $0, from: start, to: $0.count) }
    }

    /// `Content-Disposition: form-data; name="file"; filename="plan.pdf"` (filename* per RFC 5987 wins), `Content-Type`.
    static func headers(_ text: String) throws(DiariumError) -> PartHeaders {
        var disposition: String?
        var contentType: String?
        for line in text.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingSpaces().lowercased()
            let value = line[line.index(after: colon)...].trimmingSpaces()
            if name == "content-disposition" { disposition = value }
            if name == "content-type" { contentType = value }
        }
        guard let disposition else { throw .invalid("body", "a multipart part has no Content-Disposition header") }
        var name: String?
        var fileName: String?
        var extendedFileName: String?
        var undecodable: String?
        guard let parameters = splitParameters(disposition) else {
            throw .invalid("body", "a multipart part's Content-Disposition opens a quoted value that it does not close")
        }
        for parameter in parameters.dropFirst() {
            guard let equals = parameter.firstIndex(of: "=") else { continue }
            let key = parameter[..<equals].trimmingSpaces().lowercased()
            var value = parameter[parameter.index(after: equals)...].trimmingSpaces()
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 {
                value = String(value.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
            }
            switch key {
            case "name": name = value
            case "filename": fileName = value
            case "filename*":
                // RFC 8187: CHARSET'LANGUAGE'percent-encoded, in UTF-8 or ISO-8859-1. A name it cannot read is
                // refused, not replaced: the clerk would find the document under a name nobody gave it.
                let pieces = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
                let bytes = pieces.count == 3 ? pieces[2].percentDecodedBytes() : nil
                switch (pieces.first?.lowercased(), bytes) {
                case ("utf-8", let bytes?) where String(validating: bytes, as: UTF8.self) != nil:
                    extendedFileName = String(validating: bytes, as: UTF8.self)
                case ("iso-8859-1", let bytes?):
                    extendedFileName = String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
                default:
                    undecodable = value
                }
            default: break
            }
        }
        guard let name else { throw .invalid("body", "a multipart part has no name (Content-Disposition: form-data; name=\"…\")") }
        // RFC 6266 §4.3: a filename* that cannot be read falls back to the plain filename when there is one.
        if let undecodable, fileName == nil {
            throw .invalid(name, "\(name): the file name filename*=\(undecodable.prefix(80)) cannot be read: RFC 8187 names it as "
                                 + "UTF-8''… or ISO-8859-1''… with each byte outside ASCII as %XX, in that character set")
        }
        // Browsers send the bare name; some clients send a path. Keep the last component only.
        let bare = (extendedFileName ?? fileName).map { $0.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? "" }
        return PartHeaders(name: name, fileName: bare?.isEmpty == true ? nil : bare, contentType: contentType)
    }

    /// Splits on `;` outside quoted strings; nil when a quoted string is not closed (`filename="a`), which would
    /// otherwise name the file with its quote.
    static func splitParameters(_ text: String) -> [String]? {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in text {
            if escaped { current.append(character); escaped = false; continue }
            if character == "\\" && quoted { current.append(character); escaped = true; continue }
            if character == "\"" { quoted.toggle() }
            if character == ";" && !quoted { parts.append(current); current = ""; continue }
            current.append(character)
        }
        parts.append(current)
        // Browsers do not escape a backslash (they write a quote as %22), so a name ending in one closes with `\"`,
        // which curl's escaping would read as a quote inside: taken as the backslash and the closing quote.
        if quoted, text.hasSuffix("\\\""), !text.hasSuffix("\\\\\"") {
            return splitParameters(String(text.dropLast(2)) + "\\\\\"")
        }
        return quoted ? nil : parts
    }
}
