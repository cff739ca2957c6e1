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

    @Test(arguments: [1, 2, 3, 7, 64, 4096, 1 << 20])
    func theHeaderLimitDoesNotDependOnChunking(_ chunk: Int) throws {
        #expect(try Self.read(Self.body(headerBytes: MultipartReader.maxHeaderBytes), chunk: chunk).get() == "abc")
        let tooLong = Self.read(Self.body(headerBytes: MultipartReader.maxHeaderBytes + 1), chunk: chunk)
        guard case .failure(let error) = tooLong else { Issue.record("headers over the limit were read: \(tooLong)"); return }
        #expect(error.field == "body" && error.message.contains("16 KiB"))
    }
}
