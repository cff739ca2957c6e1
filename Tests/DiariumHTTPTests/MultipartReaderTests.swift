import DiariumCore
import NIOCore
import Testing

@testable import DiariumHTTP

/// The streaming multipart reader decides the same however the network chunked the body.
@Suite struct MultipartReaderTests {
    /// One part whose header block (from the line after the boundary to the blank line) is `headerBytes` long.
    static func body(headerBytes: Int) -> [UInt8] {
        let disposition = "Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\""
        let padding = "\r\nX-Padding: "
        let fill = headerBytes - disposition.utf8.count - padding.utf8.count
        return Array("--B\r\n\(disposition)\(padding)\(String(repeating: "x", count: fill))\r\n\r\nabc\r\n--B--\r\n".utf8)
    }

    /// The part's data, or the error's message.
    static func read(_ body: [UInt8], chunk: Int) -> Result<String, DiariumError> {
        var reader = MultipartReader(boundary: "B")
        return read(body, chunk: chunk, with: &reader)
    }

    static func read(_ body: [UInt8], chunk: Int, with reader: inout MultipartReader) -> Result<String, DiariumError> {
        var data: [UInt8] = []
        do {
            var start = 0
            while start < body.count {
                for event in try reader.feed(ByteBuffer(bytes: body[start..<min(start + chunk, body.count)])) {
                    if case .data(let buffer) = event { data += buffer.readableBytesView }
                }
                start += chunk
            }
            try reader.finish()
            return .success(String(decoding: data, as: UTF8.self))
        } catch {
            return .failure(error)
        }
    }

    /// A file name in Latin-1 (0xE5 for å) is refused, not stored with U+FFFD in its place.
    @Test(arguments: [1, 5, 4096]) func headersThatAreNotUTF8AreRefused(chunk: Int) throws {
        let body = Array("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"".utf8) + [0x62, 0xE5, 0x74]
            + Array(".txt\"\r\n\r\nabc\r\n--B--\r\n".utf8)
        guard case .failure(let error) = Self.read(body, chunk: chunk) else { Issue.record("a Latin-1 file name was taken"); return }
        #expect(error.field == "body" && error.message.contains("not UTF-8"), "\(error)")
        let utf8 = Array("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"båt.txt\"\r\n\r\nabc\r\n--B--\r\n".utf8)
        #expect(try Self.read(utf8, chunk: chunk).get() == "abc")
    }

    @Test(arguments: [1, 2, 3, 7, 64, 4096, 1 << 20])
    func theHeaderLimitDoesNotDependOnChunking(_ chunk: Int) throws {
        #expect(try Self.read(Self.body(headerBytes: MultipartReader.maxHeaderBytes), chunk: chunk).get() == "abc")
        let tooLong = Self.read(Self.body(headerBytes: MultipartReader.maxHeaderBytes + 1), chunk: chunk)
        guard case .failure(let error) = tooLong else { Issue.record("headers over the limit were read: \(tooLong)"); return }
        #expect(error.field == "body" && error.message.contains("16 KiB"))
    }

    /// What the reader searches grows with the body, not with the number of chunks: headers sent a byte at a time
    /// were once searched from their start at every byte, up to 16 KiB per byte. A timing would be noise on shared
    /// machines; the count of bytes searched is exact.
    @Test(arguments: [1, 2, 7, 4096])
    func searchingIsLinearInTheBodyHoweverItIsChunked(_ chunk: Int) throws {
        let body = Self.body(headerBytes: MultipartReader.maxHeaderBytes)
        var reader = MultipartReader(boundary: "B")
        #expect(try Self.read(body, chunk: chunk, with: &reader).get() == "abc")
        // A byte is searched again only while it may begin what is sought (a header end, 4 bytes; the delimiter,
        // 5 bytes here) split across chunks: at most 5 times. Rescanning the headers would be thousands of times.
        #expect(reader.bytesSearched <= 5 * body.count, "\(reader.bytesSearched) bytes searched for a \(body.count)-byte body")
    }

    /// RFC 8187 names: UTF-8 and ISO-8859-1 are read; one that cannot be read is refused naming the part, never
    /// replaced by a name nobody gave.
    @Test func extendedFileNamesAreReadOrRefused() throws {
        func name(_ value: String, plain: String? = "x.txt") throws(DiariumError) -> String? {
            try MultipartReader.headers("Content-Disposition: form-data; name=\"file\"\(plain.map { "; filename=\"\($0)\"" } ?? ""); "
                                        + "filename*=\(value)").fileName
        }
        #expect(try name("UTF-8''Beslut%20f%C3%B6r%20%C3%85re.pdf") == "Beslut för Åre.pdf")
        #expect(try name("iso-8859-1'sv'caf%E9.txt") == "café.txt")
        for bad in ["UTF-8''%FF%FE.txt", "UTF-8''%G1.txt", "KOI8-R''%C1.txt", "plain.txt"] {
            // RFC 6266 §4.3: the plain name when there is one.
            #expect(try name(bad) == "x.txt")
            do throws(DiariumError) {
                _ = try name(bad, plain: nil)
                Issue.record("\(bad) was taken")
            } catch {
                #expect(error.field == "file" && error.message.contains("cannot be read"), "\(error.message)")
            }
        }
    }
}
