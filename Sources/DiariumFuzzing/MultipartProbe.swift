import DiariumCore
import DiariumHTTP
import NIOCore

/// Feeds a multipart body in chunks and checks that the parts, and whether the body is refused, do not depend on
/// where the chunks were cut (the network decides that, not the client).
enum MultipartProbe {
    struct Part: Equatable {
        let headers: MultipartReader.PartHeaders
        var data: [UInt8] = []
    }

    /// The body whole, then in chunks of 1, 2, 3, 7 and 64 bytes and of `chunkSize` (from the input).
    static func run(boundary: String, body: ArraySlice<UInt8>, chunkSize: Int) {
        let whole = read(boundary: boundary, body: body, chunkSize: max(body.count, 1))
        for size in [1, 2, 3, 7, 64, chunkSize] {
            switch (whole, read(boundary: boundary, body: body, chunkSize: size)) {
            case (.success(let a), .success(let b)): check(a == b, "the parts depend on how the body was chunked (\(size)-byte chunks)")
            case (.failure, .failure): break
            default: check(false, "whether the body is refused depends on how it was chunked (\(size)-byte chunks)")
            }
        }
    }

    /// The parts of a whole body, for the tests of the seeds.
    static func parts(boundary: String, body: ArraySlice<UInt8>) -> Result<[Part], DiariumError> {
        read(boundary: boundary, body: body, chunkSize: max(body.count, 1))
    }

    private static func read(boundary: String, body: ArraySlice<UInt8>, chunkSize: Int) -> Result<[Part], DiariumError> {
        var reader = MultipartReader(boundary: boundary)
        var parts: [Part] = []
        var open = false
        do {
            var start = body.startIndex
            while start < body.endIndex {
                let end = min(start + chunkSize, body.endIndex)
                for event in try reader.feed(ByteBuffer(bytes: body[start..<end])) {
                    switch event {
                    case .start(let headers):
                        check(!open, "a part started inside another")
                        parts.append(Part(headers: headers)); open = true
                    case .data(let buffer):
                        check(open, "data outside a part")
                        parts[parts.count - 1].data += buffer.readableBytesView
                    case .end:
                        check(open, "a part ended that had not started")
                        open = false
                    }
                }
                start = end
            }
            try reader.finish()
            check(!open, "the body finished inside a part")
            return .success(parts)
        } catch {
            return .failure(error)
        }
    }
}
