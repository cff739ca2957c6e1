import DiariumCore

/// Watches content go by, as an export copies it, and tells its PRONOM format at the end (`FormatIdentifier`): the
/// first and last bytes are kept, and a PDF is searched for its PDF/A identification as it passes, so no file is
/// read twice for it. Feed it every chunk in order.
public struct FormatSniffer {
    private var head: [UInt8] = []
    private var tail: [UInt8] = []
    private var size: Int64 = 0
    /// Decided once the first 152 bytes are in: whether this is a PDF 1.x to search for PDF/A.
    private var pdfa: PDFAScan?
    private var decided = false

    public init() {}

    public mutating func consume(_ chunk: UnsafeRawBufferPointer) {
        guard !chunk.isEmpty else { return }
        if !decided, head.count + chunk.count >= Self.decisionBytes {
            decided = true
            var start = head
            start.append(contentsOf: chunk.prefix(Self.decisionBytes))
            // What came before this chunk is all in `head`.
            if FormatIdentifier.isPDF1(start) { startPDFAScan() }
        }
        pdfa?.consume(chunk)
        if head.count < FormatIdentifier.headBytes {
            head.append(contentsOf: chunk.prefix(FormatIdentifier.headBytes - head.count))
        }
        // The tail grows to twice its size before the old half goes: each byte is moved about once.
        if chunk.count >= FormatIdentifier.tailBytes {
            tail = Array(chunk.suffix(FormatIdentifier.tailBytes))
        } else {
            tail.append(contentsOf: chunk)
            if tail.count > 2 * FormatIdentifier.tailBytes { tail.removeFirst(tail.count - FormatIdentifier.tailBytes) }
        }
        size += Int64(chunk.count)
    }

    /// The format, or nil when no signature matches. `path` holds the same bytes, for what needs to seek (a zip's
    /// parts, a PNG's chunks); `originalName` is used only for formats PRONOM has no signature for.
    public mutating func finish(path: String, originalName: String, mediaType: String) -> FileFormat? {
        finish(probing: path, originalName: originalName, mediaType: mediaType).format
    }

    /// As `finish`, but an error when `path` had to be read again (a zip's parts, a compound file, a PNG's chunks)
    /// and could not be opened: what is recorded as "no signature matched" is not looked at again.
    public mutating func finishReading(path: String, originalName: String, mediaType: String) throws(DiariumError) -> FileFormat? {
        let (format, reopenFailed) = finish(probing: path, originalName: originalName, mediaType: mediaType)
        if reopenFailed {
            throw DiariumError(.unreadableFile, "cannot read \(originalName) again to identify its format", field: "file")
        }
        return format
    }

    /// What the signatures in use found, as the catalog keeps it; nil when the file could not be read again for it
    /// (`finishReading`), which leaves its format pending.
    public mutating func identified(path: String, originalName: String, mediaType: String) -> IdentifiedFormat? {
        // Not `try?`: it would flatten "none matched" (a nil format) into "could not read".
        let (format, reopenFailed) = finish(probing: path, originalName: originalName, mediaType: mediaType)
        return reopenFailed ? nil : IdentifiedFormat(format, identifiedWith: FormatIdentifier.release)
    }

    private mutating func finish(probing path: String, originalName: String, mediaType: String) -> (format: FileFormat?, reopenFailed: Bool) {
        if tail.count > FormatIdentifier.tailBytes { tail.removeFirst(tail.count - FormatIdentifier.tailBytes) }
        if !decided, FormatIdentifier.isPDF1(head) { startPDFAScan() }
        decided = true
        pdfa?.finish()
        let probe = FormatIdentifier.Probe(head: head, tail: tail, path: path, pdfa: pdfa?.found)
        let format = FormatIdentifier.identify(probe, originalName: originalName, mediaType: mediaType)
        return (format, probe.reopenFailed.happened)
    }

    /// A PDF/A search from the start, over what `head` holds so far.
    private mutating func startPDFAScan() {
        var scan = PDFAScan()
        head.withUnsafeBytes { scan.consume($0) }
        pdfa = scan
    }

    /// `%PDF-1.x` within the first 144 bytes.
    static let decisionBytes = 144 + 8
}

/// PRONOM's PDF/A signatures over a stream: after the XMP namespace declaration
/// `xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id`, a `pdfaid:part` and a `pdfaid:conformance` (either order, as
/// attributes or elements) at most 120 bytes apart, naming a PDF/A PRONOM knows. XMP may sit anywhere in a PDF.
///
/// Chunks may split a token anywhere: a hit is read with `margin` bytes on either side, so the last `margin` bytes
/// of each chunk wait for the next one, joined to its start in a small buffer (the chunk itself is never copied).
struct PDFAScan {
    static let margin = 64   // longer than any token read around a hit, and than "xmlns:" before one
    private(set) var found: (part: Int, conformance: UInt8)?
    private var carry: [UInt8] = []   // the last 2 × margin bytes seen
    private var seen: Int64 = 0
    /// Hits starting before this stream offset have been looked at.
    private var done: Int64 = 0
    private var namespaceEnd: Int64?
    /// Where the latest token of each value ended (parts 1–3; conformance A, B, U): the latest of a value is the
    /// nearest, so a pair within reach is found whatever came between.
    private var partEnds: [Int: Int64] = [:]
    private var conformanceEnds: [UInt8: Int64] = [:]

    mutating func consume(_ chunk: UnsafeRawBufferPointer) {
        guard found == nil, !chunk.isEmpty else { return }
        let m = Self.margin
        let start = seen
        // The carried bytes and the chunk's first 2 × margin: hits up to `margin` before the joint's end.
        var joint = carry
        joint.append(contentsOf: chunk.prefix(2 * m))
        let jointEnd = start + Int64(min(chunk.count, 2 * m))
        joint.withUnsafeBytes { scan($0, at: start - Int64(carry.count), to: jointEnd - Int64(m)) }
        // The rest of the chunk in place.
        if chunk.count > 2 * m { scan(chunk, at: start, to: start + Int64(chunk.count - m)) }
        seen += Int64(chunk.count)
        if chunk.count >= 2 * m {
            carry = Array(chunk.suffix(2 * m))
        } else {
            carry.append(contentsOf: chunk)
            if carry.count > 2 * m { carry.removeFirst(carry.count - 2 * m) }
        }
    }

    /// The end of the stream: the bytes still waiting for a margin after them are looked at.
    mutating func finish() {
        guard found == nil else { return }
        carry.withUnsafeBytes { scan($0, at: seen - Int64(carry.count), to: seen) }
    }

    /// Looks at hits in `buffer` (which starts at stream offset `base`) that start from `done` up to `end`.
    private mutating func scan(_ buffer: UnsafeRawBufferPointer, at base: Int64, to end: Int64) {
        guard found == nil, end > done else { return }
        let first = Int(max(done - base, 0))
        let last = Int(min(end - base, Int64(buffer.count)))
        done = end
        var from = first
        while found == nil, let hit = FormatIdentifier.find(Self.stem, in: buffer, from: from, to: min(last + Self.stem.count - 1, buffer.count)) {
            from = hit + 1
            let absolute = base + Int64(hit)
            if hit >= 6, Self.matches(buffer, hit - 6, Self.xmlnsPrefix), Self.matches(buffer, hit + 6, Self.namespaceTail)
                || Self.matches(buffer, hit + 6, Self.namespaceTailSingle) {
                if namespaceEnd == nil { namespaceEnd = absolute + Int64(6 + Self.namespaceTail.count) }
                continue
            }
            guard let namespaceEnd, absolute >= namespaceEnd else { continue }
            if let (value, length) = Self.token(buffer, at: hit, name: "part", opens: ["=\"", "='", ">"]), (0x31...0x33).contains(value) {
                let part = Int(value - 0x30)
                for (conformance, end) in conformanceEnds.sorted(by: { $0.value > $1.value })
                where absolute - end <= 120 && FormatIdentifier.pdfaPUID(part, conformance) != nil {
                    found = (part, conformance)
                    break
                }
                partEnds[part] = absolute + Int64(length)
            } else if let (value, length) = Self.token(buffer, at: hit, name: "conformance", opens: [">", "=\"", "='"]),
                      [UInt8(ascii: "A"), UInt8(ascii: "B"), UInt8(ascii: "U")].contains(value) {
                for (part, end) in partEnds.sorted(by: { $0.value > $1.value })
                where absolute - end <= 120 && FormatIdentifier.pdfaPUID(part, value) != nil {
                    found = (part, value)
                    break
                }
                conformanceEnds[value] = absolute + Int64(length)
            }
        }
    }

    static let stem = Array("pdfaid".utf8)
    static let xmlnsPrefix = Array("xmlns:".utf8)
    static let namespaceTail = Array("=\"http://www.aiim.org/pdfa/ns/id".utf8)
    static let namespaceTailSingle = Array("='http://www.aiim.org/pdfa/ns/id".utf8)

    static func matches(_ buffer: UnsafeRawBufferPointer, _ at: Int, _ bytes: [UInt8]) -> Bool {
        at >= 0 && at <= buffer.count && FormatIdentifier.starts(buffer[at...], bytes)
    }

    /// `pdfaid:NAME` + one of `opens` + one value byte + a quote or the closing element, at `at`: the value and the
    /// token's length.
    static func token(_ b: UnsafeRawBufferPointer, at: Int, name: String, opens: [String]) -> (UInt8, Int)? {
        let prefix = Array("pdfaid:\(name)".utf8)
        guard matches(b, at, prefix) else { return nil }
        var i = at + prefix.count
        guard let open = opens.first(where: { matches(b, i, Array($0.utf8)) }) else { return nil }
        i += open.utf8.count
        guard i < b.count else { return nil }
        let value = b[i]
        i += 1
        for close in ["\"", "'", "</pdfaid:\(name)>"] where matches(b, i, Array(close.utf8)) {
            return (value, i + close.utf8.count - at)
        }
        return nil
    }
}
