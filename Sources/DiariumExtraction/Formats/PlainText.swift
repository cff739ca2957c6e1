import DiariumXML

/// text/plain, text/csv, text/markdown: UTF-8 (BOM stripped), UTF-16 with a BOM, otherwise Windows-1252.
/// Streams the file and stops reading once the text is full.
enum PlainText {
    static let chunkSize = 1 << 20

    static func extract(_ file: InputFile, into text: inout TextAccumulator) throws(ExtractionStop) {
        var chunk = try file.read(upTo: chunkSize)
        if chunk.starts(with: [0xFF, 0xFE]) || chunk.starts(with: [0xFE, 0xFF]) {
            var decoder = UTF16ChunkDecoder(bigEndian: chunk[0] == 0xFE)
            chunk.removeFirst(2)
            while !chunk.isEmpty && !text.isTruncated {
                text.append(decoder.decode(chunk))
                chunk = try file.read(upTo: chunkSize)
            }
            text.append(decoder.decode([], isLast: true))
            return
        }
        if chunk.prefix(65536).contains(0) {
            throw .unsupported("the file contains binary data, not text")
        }
        // A short read means the end of the file; judged before the BOM goes, or a full first chunk looks short.
        var readCount = chunk.count
        if chunk.starts(with: [0xEF, 0xBB, 0xBF]) { chunk.removeFirst(3) }

        var decoder = UTF8ChunkDecoder(repairs: false)
        var asUTF8 = TextAccumulator(maxBytes: text.maxBytes)
        var valid = true
        while !asUTF8.isTruncated {
            let isLast = readCount < chunkSize
            guard let decoded = decoder.decode(chunk, isLast: isLast) else {
                valid = false
                break
            }
            asUTF8.append(decoded)
            if isLast { break }
            chunk = try file.read(upTo: chunkSize)
            readCount = chunk.count
        }
        if valid {
            text = asUTF8
            return
        }

        // Not UTF-8: start over as Windows-1252, where every byte is a character.
        try file.rewind()
        repeat {
            chunk = try file.read(upTo: chunkSize)
            text.append(Windows1252.decode(chunk))
        } while chunk.count == chunkSize && !text.isTruncated
    }
}
