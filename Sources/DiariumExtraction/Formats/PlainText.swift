import DiariumXML

/// text/plain, text/csv, text/markdown: UTF-16 with a BOM, UTF-8 (BOM stripped) when the first chunk is, otherwise
/// Windows-1252: the charset `TextCharset` gives the stored media type, decided from the same first chunk, so the
/// index reads a text as a browser shown it does. Streams the file and stops reading once the text is full.
enum PlainText {
    static let chunkSize = TextCharset.sample

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
        // A short read means the end of the file; judged before the BOM goes, or a full first chunk looks short.
        var readCount = chunk.count
        switch TextCharset.of(chunk, complete: readCount < chunkSize) {
        case nil:
            throw .unsupported("the file contains binary data, not text")
        case "utf-8":
            if chunk.starts(with: [0xEF, 0xBB, 0xBF]) { chunk.removeFirst(3) }
            // Past the first chunk a stray byte becomes U+FFFD: the text stays UTF-8, as its media type says.
            var decoder = UTF8ChunkDecoder(repairs: true)
            while !text.isTruncated {
                let isLast = readCount < chunkSize
                text.append(decoder.decode(chunk, isLast: isLast)!)
                if isLast { break }
                chunk = try file.read(upTo: chunkSize)
                readCount = chunk.count
            }
        default:
            // Windows-1252, where every byte is a character.
            text.append(Windows1252.decode(chunk))
            while readCount == chunkSize && !text.isTruncated {
                chunk = try file.read(upTo: chunkSize)
                readCount = chunk.count
                text.append(Windows1252.decode(chunk))
            }
        }
    }
}
