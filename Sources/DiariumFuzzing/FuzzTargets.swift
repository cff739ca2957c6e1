import DiariumCore
import DiariumExchange
import DiariumExtraction
import DiariumHTTP
import DiariumPackage
import DiariumXML
import Foundation

/// One parser of untrusted input, driven with arbitrary bytes. `run` must return for every input: a refusal is
/// an error the parser throws, never a trap. Where a format has a writer, `run` also checks that what the reader
/// accepts survives a write and a second read unchanged, and stops the process when it does not (`check`), so
/// the fuzzer reports it like any other crash.
public struct FuzzTarget: Sendable {
    public let name: String
    public let summary: String
    /// Valid inputs to start from: written by Diarium's writers, or read from `Tests/DiariumFuzzingTests/Seeds/`.
    public let seeds: @Sendable () -> [[UInt8]]
    /// The format's delimiters and keywords, for the mutator.
    public let dictionary: [String]
    public let run: @Sendable ([UInt8]) -> Void

    /// `count` mutations of the seeds, the same for the same `seed`: what the tests run (with `testSeed`) and what
    /// `diarium-fuzz mutate TARGET COUNT test` replays when a test crashed.
    public func mutations(_ count: Int, seed: UInt64) -> some Sequence<[UInt8]> {
        let seeds = self.seeds()
        let mutator = Mutator(dictionary: dictionary)
        var random = SeededGenerator(seed: seed)
        return (0..<(seeds.isEmpty ? 0 : count)).lazy.map { _ in
            mutator.mutate(seeds.randomElement(using: &random)!, splicing: seeds.randomElement(using: &random)!, using: &random)
        }
    }

    /// The tests' seed: from the name, so that adding a target does not change another's inputs.
    public var testSeed: UInt64 { name.utf8.reduce(5381) { ($0 << 5) &+ $0 &+ UInt64($1) } }
}

/// A broken invariant: the fuzzer stops here and keeps the input.
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("fuzz invariant: \(message())") }
}

/// The first segment where a re-read interchange differs, for the crash message.
private func difference(_ a: EDIFACTInterchange, _ b: Result<EDIFACTInterchange, DiariumError>) -> String {
    guard case .success(let b) = b else { return "refused: \(b)" }
    for (x, y) in zip(a.messages.flatMap(\.body), b.messages.flatMap(\.body)) where x != y {
        return "\(x.index) \(x.tag) \(x.elements) became \(y.index) \(y.tag) \(y.elements)"
    }
    return "\(a)\n\(b)"
}

private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

public enum FuzzTargets {
    public static let all: [FuzzTarget] = [query, identifiers, edifact, envelope, markup, erms, mets, package, multipart, httpHeaders,
                                           jsonBody, queryParameters, pageText, extractText, extractHTML, extractXML, extractDOCX, extractXLSX, extractPPTX, extractODT,
                                           identify]

    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }

    /// `Tests/DiariumFuzzingTests` in the source tree: seed files under `Seeds/`, inputs that once broke a target
    /// under `Regressions/<target>/`.
    public static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Tests/DiariumFuzzingTests").standardizedFileURL.path

    /// The files of a folder under `folder` (`Seeds/odt`, `Regressions/edifact`), in name order; none when it is missing.
    public static func files(in subfolder: String) -> [(name: String, bytes: [UInt8])] {
        let path = folder + "/" + subfolder
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().compactMap { name in FileManager.default.contents(atPath: path + "/" + name).map { (name, Array($0)) } }
    }

    /// The search query language (`q=` of the API, `diarium search`).
    static let query = FuzzTarget(
        name: "query", summary: "search query parser",
        seeds: { [
            "förskola Ängen", "\"handlingsplan för\" OR beslut -utkast", "plan* NOT brev type:decision series:KS",
            "status:final year:2026 from:2026-01-01 to:2026-06-30 class:2.4 case:\"KS 2026/14\" sender:Anna",
            "(a OR b) AND c", "dnr:KS", "\"", "-", "å*",
        ].map { Array($0.utf8) } },
        dictionary: ["\"", "*", " OR ", " NOT ", " AND ", "-", ":", "type:", "year:", "from:", "to:", "case:", "(", ")", "ä"],
        run: { bytes in
            let query = text(bytes)
            _ = try? SearchQueryParser.parse(query)
            _ = try? SearchQueryParser.wordsOf(query)
        })

    /// Numbers, dates and codes as typed by users and sent in paths: each line tried as every kind. What parses
    /// must print as something that parses back to the same value.
    static let identifiers = FuzzTarget(
        name: "identifiers", summary: "numbers, dates, codes, ids, search cursors; percent-decoding against Foundation's",
        seeds: { [Array("KS 2026/14-3\nKS 2026/14\n2026-02-28\nKS\nbun\nsundsvall-ks\n01JQ7Z8K4M2P9X\nKS%202026%2F14-3\na+b%2B\n".utf8)
                   + Array(SearchCursor(position: .offset(20), fingerprint: "f").token.utf8) + [10]
                   + Array(SearchCursor(position: .before(123_456), fingerprint: "f").token.utf8) + [10]
                   + Array(SearchCursor(position: .after(17), fingerprint: "f").token.utf8)] },
        dictionary: ["/", "-", " ", "\n", "2026", "0", "9999999999999999999", "%", "%2F", "%C3%A5", "%c3", "%00", "%e2%80%8b"],
        run: { bytes in
            for line in text(bytes).split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
                if let number = try? DocumentNumber(parsing: line) {
                    check((try? DocumentNumber(parsing: number.description)) == number, "document number \(number) does not read back")
                }
                if let number = try? CaseNumber(parsing: line) {
                    check((try? CaseNumber(parsing: number.description)) == number, "case number \(number) does not read back")
                }
                if let date = try? CalendarDate(parsing: line, field: "date") {
                    check((try? CalendarDate(parsing: date.description, field: "date")) == date, "date \(date) does not read back")
                }
                if let code = try? SeriesCode(parsing: line) {
                    check((try? SeriesCode(parsing: code.rawValue)) == code, "series code \(code) does not read back")
                }
                // Path segments and query values: the same answers as Foundation's decoding, which it replaced.
                check(line.percentDecoded() == line.removingPercentEncoding, "percent-decoding \(Array(line.utf8)) differs from Foundation's")
                // Every `+` byte is a space in a form, even before a combining mark, where String's replacing (by
                // characters) would keep it: so the `+`s are replaced byte by byte before Foundation decodes.
                let spaced = String(decoding: line.utf8.map { $0 == UInt8(ascii: "+") ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
                check(line.percentDecoded(plusIsSpace: true) == spaced.removingPercentEncoding, "form-decoding \(Array(line.utf8)) differs from Foundation's")
                // A search's `after=` cursor: what is accepted is what its token says.
                if let cursor = try? SearchCursor(token: line, expectedFingerprint: "f") {
                    check((try? SearchCursor(token: cursor.token, expectedFingerprint: "f")) == cursor, "cursor \(line) does not read back")
                }
                _ = try? Department(parsing: line)
                _ = try? PartyID(parsing: line)
                _ = try? ControlReference(parsing: line)
            }
        })

    /// EDIFACT interchanges between departments. An interchange that reads must write and read back unchanged.
    static let edifact = FuzzTarget(
        name: "edifact", summary: "EDIFACT interchange (DIAREC) reader",
        seeds: { Seeds.edifact() },
        dictionary: ["'", "+", ":", "?", "UNA:+.? '", "UNB+", "UNH+", "UNT+", "UNZ+", "FTX+", "DTM+", "DOC+", "?'", "??"],
        run: { bytes in
            if let interchange = try? EDIFACTInterchange.parse(bytes), let written = try? interchange.render() {
                let again = Result { () throws(DiariumError) in try EDIFACTInterchange.parse(written) }
                check((try? again.get()) == interchange, "an interchange does not read back from what it wrote: \(difference(interchange, again))")
            }
            guard let transfer = try? EDIFACTTransfer.read(bytes) else { return }
            guard let written = try? transfer.edifact() else { return }
            check((try? EDIFACTTransfer.read(written)) == transfer, "a transfer does not read back from what it wrote")
        })

    /// Exchange envelopes and receipts (XML, validated against envelope-1.xsd).
    static let envelope = FuzzTarget(
        name: "envelope", summary: "exchange envelope and receipt reader",
        seeds: { Seeds.envelopes() },
        dictionary: ["<", ">", "</", "/>", "&amp;", "&#0;", "&#x10FFFF;", "<!DOCTYPE x>", "<![CDATA[", "]]>", "xmlns=\"\"", "=\""],
        run: { bytes in
            guard case .success(let envelope) = Envelope.check(bytes) else { return }
            guard case .success(let again) = Envelope.check(envelope.xml()) else { return check(false, "a written envelope is refused") }
            check(again == envelope, "an envelope does not read back from what it wrote")
        })

    /// The XML element tree under ERMS, METS and foreign imports (office formats stream their XML instead).
    static let markup = FuzzTarget(
        name: "markup", summary: "XML element tree (libxml2 wrapper)",
        seeds: { Seeds.files("erms") + Seeds.files("mets") },
        dictionary: ["<", ">", "</", "/>", "&amp;", "&#0;", "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>", "&e;",
                     "<![CDATA[", "]]>", "xmlns:a=\"u\"", "a:"],
        run: { bytes in _ = try? MarkupElement.parse(bytes) })

    /// ERMS descriptive metadata of an imported package.
    static let erms = FuzzTarget(
        name: "erms", summary: "ERMS (FGS Ärendehantering) reader",
        seeds: { Seeds.files("erms") },
        dictionary: ["<", ">", "</", "/>", "&amp;", "\"", "2026-13-45", "KS 2026/1-1", "<erms:record>", "</erms:record>"],
        run: { bytes in
            let inMemory = try? ERMS.read(.bytes(bytes), file: "erms.xml")
            // Streamed from a file, as a large package's ERMS is, it reads the same.
            let fromFile = try? ERMS.read(.file(ScratchFiles.write(bytes, target: "erms", fileName: "erms.xml")), file: "erms.xml")
            precondition(inMemory?.transfer == fromFile?.transfer && inMemory?.isUnreadable == fromFile?.isUnreadable
                         && inMemory?.isDiarium == fromFile?.isDiarium, "ERMS read from a file differs from the same bytes in memory")
        })

    /// The root METS of an imported package.
    static let mets = FuzzTarget(
        name: "mets", summary: "METS manifest reader",
        seeds: { Seeds.files("mets") },
        dictionary: ["<", ">", "</", "/>", "\"", "xlink:href=\"", "../", "%2e%2e/", "/etc/passwd", "SIZE=\"-1\"", "CHECKSUM=\""],
        run: { bytes in
            let inMemory = try? METSManifest.read(.bytes(bytes))
            let fromFile = try? METSManifest.read(.file(ScratchFiles.write(bytes, target: "mets", fileName: "METS.xml")))
            precondition(inMemory?.manifest == fromFile?.manifest, "METS read from a file differs from the same bytes in memory")
        })

    /// A whole package as uploaded for import (tar, zip, or a BagIt bag): the archive's entries under the path
    /// policy and limits, METS against what the archive holds, checksums of the content streamed through.
    static let package = FuzzTarget(
        name: "package", summary: "E-ARK package / BagIt reader (tar, zip)",
        seeds: { Seeds.files("package") },
        dictionary: ["../", "/etc/", "METS.xml", "ustar", "PK\u{03}\u{04}", "PK\u{01}\u{02}", "manifest-sha256.txt", "bagit.txt"],
        run: { bytes in _ = try? readPackage(ScratchFiles.write(bytes, target: "package", fileName: "package")) })

    /// Reads a package under small limits, its content only hashed (what an import's sink would store).
    static func readPackage(_ path: String) throws(DiariumError) -> ReadPackage {
        let limits = ArchiveLimits(maxEntries: 1_000, maxEntryBytes: 4 << 20, maxTotalBytes: 16 << 20)
        let options = PackageReader.Options(limits: limits, maxDocumentBytes: 4 << 20, maxMetadataBytes: 8 << 20)
        return try PackageReader.read(path, options: options) { _, produce throws(DiariumError) in
            var hasher = SHA256Hex.Hasher()
            try produce { chunk in hasher.update(chunk) }
            return ReadPackage.FileDigest(sha256: hasher.finalize(), size: hasher.count)
        }
    }

    /// `multipart/form-data` uploads: the body (after the input's first byte) whole, and in chunks of several sizes,
    /// one of them from that first byte.
    static let multipart = FuzzTarget(
        name: "multipart", summary: "streaming multipart/form-data reader",
        seeds: { Seeds.multipart() },
        dictionary: ["\r\n", "--fuzzB", "\r\n--fuzzB--", "Content-Disposition: form-data; name=\"file\"; filename*=UTF-8''%C3%A5.txt",
                     "; filename=\"", "\r\n\r\n", "Content-Type: "],
        run: { bytes in
            guard let first = bytes.first else { return }
            MultipartProbe.run(boundary: "fuzzB", body: bytes.dropFirst(), chunkSize: Int(first) + 1)
        })

    /// Headers: the `Range` a client sends (against content of a size taken from the input's first bytes) must give
    /// a range inside the content or none; `If-None-Match` and a multipart `Content-Type` are parsed; the
    /// `Content-Disposition` written from a stored file name must be printable ASCII (no header injection) whose
    /// `filename*` decodes back to the name.
    static let httpHeaders = FuzzTarget(
        name: "http-headers", summary: "Range, If-None-Match, a multipart Content-Type, Content-Disposition",
        seeds: { [
            [0, 0, 1, 0, 0] + Array("bytes=0-99\nW/\"v1\", \"v2\"\nPlan för Ängen.pdf".utf8),
            [0, 0, 0, 0, 0] + Array("bytes=-5\nmultipart/form-data; boundary=\"a b\"\n..".utf8),
            [255, 255, 255, 255, 255] + Array("Bytes=9223372036854775807-\n*\n\u{202E}fdp.exe\r\nX: y".utf8),
        ] },
        dictionary: ["bytes=", "-", ",", " ", "\n", "9223372036854775807", "99999999999999999999", "\"", "\\", "%", "/", "\r\n", "ä"],
        run: { bytes in
            guard bytes.count >= 5 else { return }
            let size = bytes.prefix(5).reduce(Int64(0)) { $0 << 8 | Int64($1) }
            let lines = text(Array(bytes.dropFirst(5))).split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
            if case .partial(let range) = ByteRange.parse(String(lines[0]), size: size) {
                check(range.lowerBound >= 0 && range.upperBound < size, "range \(range) outside content of \(size) bytes")
            }
            guard lines.count > 1 else { return }
            let rest = lines[1].split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
            // The same line as `If-None-Match` and as a registration's `Content-Type`.
            _ = ContentResponse.matches(String(rest[0]), etag: "\"v1\"")
            if let boundary = try? MultipartReader.boundary(contentType: String(rest[0])) {
                check((1...70).contains(boundary.utf8.count), "boundary of \(boundary.utf8.count) bytes accepted")
            }
            guard rest.count > 1 else { return }
            let name = String(rest[1])
            let header = ContentResponse.contentDisposition(fileName: name)
            check(header.utf8.allSatisfy { (0x20..<0x7F).contains($0) }, "Content-Disposition not printable ASCII: \(header)")
            let encoded = header.components(separatedBy: "filename*=UTF-8''").last ?? ""
            check(encoded.percentDecoded() == TextRules.safeFileName(name), "filename* does not decode to the name")
        })

    /// The API's JSON request bodies, the same bytes as each of them, with the checks that follow before a store is
    /// touched: every refusal must be a client error (4xx) naming a field, never a 500 for a client's mistake.
    static let jsonBody = FuzzTarget(
        name: "json-body", summary: "the API's JSON request bodies (registration, patch, case, user, retention, class, export, hold, disposal …)",
        seeds: { [
            #"{"case":"KS 2026/14","title":"Handlingsplan","recordType":"actionPlan","direction":"incoming","documentDate":"2026-03-01","sender":"Anna","restriction":{"kind":"privacy","legalReference":"OSL 26 kap. 1 §","until":"2030-12-31","hides":["content","parties"]}}"#,
            #"{"title":"Ny titel","publicTitle":null,"documentDate":null,"restriction":null,"comment":"rättat"}"#,
            #"{"comment":"Beslutat i nämnden"}"#,
            #"{"name":"bo","role":"clerk","departments":["KS","BUN"]}"#,
            #"{"role":"archivist","departments":[],"enabled":false}"#,
            #"{"label":"skanner"}"#,
            #"{"code":"BUN","name":"Barn- och utbildningsnämnden","department":"BUN"}"#,
            #"{"series":"KS","title":"Bygglov","classification":"2.4","officer":"anna"}"#,
            #"{"series":"SN","title":"Ansökan om bistånd, Åsa Öberg","publicTitle":"Ansökan om bistånd","restriction":{"kind":"privacy","legalReference":"OSL 26 kap. 1 §","until":"2096-12-31"}}"#,
            #"{"publicTitle":null,"restriction":null,"department":"Socialtjänsten"}"#,
            #"{"action":"keep","mandate":"RA-MS 2020:1","schedule":"3.1","years":null}"#,
            #"{"action":"dispose","years":10,"mandate":"KS 2019:4"}"#,
            #"{"title":"Bygglov","description":"Lov enligt PBL","retention":{"action":"dispose","years":10,"mandate":"KS 2024-03-12 § 45"}}"#,
            #"{"title":"Stödprocesser","retention":null}"#,
            #"{"series":"KS","year":2026,"format":"eark-zip","versions":"all"}"#,
            #"{"query":"förskola \u00e5\ud83d\ude00 type:decision"}"#,
            #"{"case":"KS 2026/14","organisation":{"name":"Exempelby kommun","code":"212000-1355"},"submitter":{"name":"Kommunstyrelsen","code":"ORG:2120001355"},"archive":{"name":"Stadsarkivet","code":"ISIL:SE-EXA"},"submissionAgreement":"KS 2026/3","referenceCode":"SE/EXA/KS"}"#,
            #"{"name":"Exempelby kommun","code":" VAT:SE212000135501 "}"#,
            #"{"target":"KS 2026/14","reason":"Överklagande, förvaltningsrätten mål 1234-26"}"#,
            #"{"documents":["KS 2014/3-1","KS 2014/3-2"]}"#,
            #"{"due":true,"series":"KS"}"#,
            #"{"reason":"Domen har vunnit laga kraft"}"#,
        ].map { Array($0.utf8) } },
        dictionary: ["{", "}", "[", "]", "\"", ":", ",", "null", "true", "false", "1.5", "1e400", "-0", "9223372036854775808",
                     #"\u0000"#, #"\ud800"#, #""restriction""#, #""hides""#, #""until""#, #""case""#, #""KS 2026/1""#,
                     #""code""#, #""ORG:"#],
        run: { bytes in
            for outcome in JSONBody.outcomes(reading: bytes) {
                guard let refusal = outcome.refusal else { continue }
                check((400..<500).contains(refusal.status), "\(outcome.body): \(refusal.status) for \(refusal.error)")
                check(refusal.field?.isEmpty == false, "\(outcome.body): a refusal names no field: \(refusal.error)")
            }
        })

    /// A request's query string, read for every route's parameters and as every type a route reads them: every
    /// refusal a 4xx naming a parameter, and what is taken comes back the same when written as a query again.
    static let queryParameters = FuzzTarget(
        name: "query-parameters", summary: "query strings of every route (split, percent-decoding, typed values)",
        seeds: { [
            "from=2026-01-01&to=2026-06-30&series=KS&limit=50&after=abc", "q=f%C3%B6rskola+type%3Adecision&limit=20",
            "dryRun=true&intoSeries=BUN&intoCase=BUN+2026%2F3&filename=paket.tar", "limit=&after", "a=1&a=2", "%ZZ=1", "&&=&",
            "object=KS%202026%2F14-3&after=9223372036854775807&limit=1000", "filename=Plan%20f%C3%B6r%20%C3%84ngen.pdf&comment=r%C3%A4ttad",
        ].map { Array($0.utf8) } },
        dictionary: ["&", "=", "%", "+", "%2B", "%26", "%3D", "%C3%A4", "limit", "after", "from", "to", "series", "q", "dryRun", "true",
                     "9223372036854775808", "-1", "2026-02-29"],
        run: { bytes in
            for outcome in QueryParameters.outcomes(query: text(bytes)) {
                check(outcome.roundTrip, "\(text(bytes)): the parameters read do not come back the same written as a query")
                guard let refusal = outcome.refusal else { continue }
                check((400..<500).contains(refusal.status), "\(text(bytes)): \(refusal.status)")
                check(refusal.field?.isEmpty == false, "\(text(bytes)): a refusal names no parameter")
            }
        })

    /// U+FDD0 and U+FFFE, which Swift's string literals refuse.
    private static let noncharacters = String(String.UnicodeScalarView([Unicode.Scalar(0xFDD0)!, Unicode.Scalar(0xFFFE)!]))

    /// Stored text written into a public page: escaped, it holds no markup and reads back as the text (controls and
    /// noncharacters as U+FFFD); a snippet's marks always pair; a link's percent-encoding decodes to the text.
    static let pageText = FuzzTarget(
        name: "page-text", summary: "the public pages' escaping, snippet marks and link encoding",
        seeds: { [
            "Beslut om <b>bygglov</b> & \"hamnen\" 'citat'", "Får vi \u{E000}åka\u{E001}? \u{E001}\u{E000}\u{E000}x",
            "KS 2026/14-3", "\u{1}\u{7F}\u{85}\u{FEFF}\t\r\n" + noncharacters, "&amp;&lt;&#39;%41",
        ].map { Array($0.utf8) } },
        dictionary: ["<", ">", "&", "\"", "'", "\u{E000}", "\u{E001}", "<mark>", "</mark>", "&amp;", "\u{0}", noncharacters, "%", "/"],
        run: { bytes in
            // Worked on as Unicode scalars throughout: a combining mark after `&amp;` or `<mark>` would join the `;` or
            // the `>` into one Character with it.
            let input = Array(text(bytes).unicodeScalars)
            // HTML's forbidden code points, listed here rather than asked of the code under test.
            func forbidden(_ scalar: Unicode.Scalar) -> Bool {
                let v = scalar.value
                return (v < 0x20 && v != 0x09 && v != 0x0A && v != 0x0D) || (0x7F...0x9F).contains(v) || (0xFDD0...0xFDEF).contains(v)
                    || v & 0xFFFF == 0xFFFE || v & 0xFFFF == 0xFFFF
            }
            let shown = input.map { forbidden($0) ? "\u{FFFD}" : $0 }
            let entities: [(String, Unicode.Scalar)] = [("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'")]
            func hasPrefix(_ scalars: ArraySlice<Unicode.Scalar>, _ prefix: String) -> Bool {
                scalars.starts(with: prefix.unicodeScalars)
            }
            func unescaped(_ markup: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
                check(!markup.contains { "<>\"'".unicodeScalars.contains($0) }, "markup left in escaped text: \(String(String.UnicodeScalarView(markup)))")
                check(!markup.contains(where: forbidden), "a forbidden character written")
                var out: [Unicode.Scalar] = [], rest = markup
                while let amp = rest.firstIndex(of: "&") {
                    out += rest[..<amp]
                    guard let entity = entities.first(where: { hasPrefix(rest[amp...], $0.0) }) else {
                        check(false, "a bare & in escaped text")
                        return out
                    }
                    out.append(entity.1)
                    rest = rest[(amp + entity.0.unicodeScalars.count)...]
                }
                return out + rest
            }
            let escaped = Array(HTML(text: String(String.UnicodeScalarView(input))).markup.unicodeScalars)
            check(unescaped(escaped[...]) == shown, "escaped text does not read back")

            // Marks: only <mark> and </mark>, alternating from an opening one; between them, escaped text.
            let marked = Array(HTML.marked(String(String.UnicodeScalarView(input)), open: "\u{E000}", close: "\u{E001}").markup.unicodeScalars)
            var plain: [Unicode.Scalar] = [], rest = marked[...], open = false
            while let tag = rest.firstIndex(of: "<") {
                plain += unescaped(rest[..<tag])
                let expected = open ? "</mark>" : "<mark>"
                check(hasPrefix(rest[tag...], expected), "\(expected) expected")
                rest = rest[(tag + expected.unicodeScalars.count)...]
                open.toggle()
            }
            plain += unescaped(rest)
            check(!open, "a mark left open")
            check(plain == shown.filter { $0 != "\u{E000}" && $0 != "\u{E001}" }, "marked text does not read back")

            let original = String(String.UnicodeScalarView(input))
            let encoded = original.percentEncoded()
            check(encoded.utf8.allSatisfy { $0 < 0x80 && ($0 == UInt8(ascii: "%") || !"/?#&=+ ".utf8.contains($0)) }, "unencoded: \(encoded)")
            check(encoded.percentDecoded() == original, "percent-encoding does not decode to the text")
        })

    static let extractText = extraction("extract-text", "text/plain", "a.txt", seeds: ["Får vi åka?\r\n", "caf\u{E9}"], dictionary: ["\u{FEFF}", "\r\n"])
    static let extractHTML = extraction("extract-html", "text/html", "a.html",
                                        seeds: ["<html><head><meta charset=\"iso-8859-1\"><title>T</title></head><body><p>Miljö &amp; hälsa</p><script>x</script></body></html>"],
                                        dictionary: ["<p>", "</p>", "<script>", "<!--", "-->", "&auml;", "<meta charset=\"", "\">"])
    static let extractXML = extraction("extract-xml", "application/xml", "a.xml",
                                       seeds: ["<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a><b>text</b><![CDATA[raw]]></a>"],
                                       dictionary: ["<", ">", "</", "<!DOCTYPE a>", "encoding=\"UTF-16\"", "&#x0;"])
    static let extractDOCX = extraction("extract-docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "a.docx",
                                        files: "docx", dictionary: ["PK\u{03}\u{04}", "word/document.xml", "<w:t>", "</w:t>", "../"])
    static let extractXLSX = extraction("extract-xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "a.xlsx",
                                        files: "xlsx", dictionary: ["PK\u{03}\u{04}", "xl/worksheets/sheet", "99999999999999999999.xml",
                                                                    "xl/sharedStrings.xml", "<t>", "</t>", "<is>", "<v>"])
    static let extractPPTX = extraction("extract-pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", "a.pptx",
                                        files: "pptx", dictionary: ["PK\u{03}\u{04}", "ppt/slides/slide", "-1.xml", "<a:t>", "</a:t>", "<a:br/>"])
    static let extractODT = extraction("extract-odt", "application/vnd.oasis.opendocument.text", "a.odt",
                                       files: "odt", dictionary: ["PK\u{03}\u{04}", "content.xml", "<text:p>", "</text:p>", "mimetype"])

    /// PRONOM identification as an export runs it: the bytes streamed through a sniffer in chunks of a size the
    /// input chooses must give what the whole file gives (a PDF/A marker or token split anywhere), and never trap
    /// (a PNG's chunk lengths, a zip's directory, a PDF's XMP are all the input's).
    static let identify = FuzzTarget(
        name: "identify", summary: "PRONOM format identification (streamed and whole)",
        seeds: { Seeds.files("identify") },
        dictionary: ["%PDF-1.4", "%%EOF", "xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\"", "<pdfaid:part>", "</pdfaid:part>",
                     "pdfaid:conformance=\"", "PK\u{03}\u{04}", "PK\u{01}\u{02}", "PK\u{05}\u{06}", "IEND", "iTXt", "Exif",
                     "office:version=\"", "manifest:full-path=\"/\"", "<!DOCTYPE html>", "<?xml version=\"1.0\"",
                     "W\u{0}o\u{0}r\u{0}d\u{0}", "Word.Document.8", "Root Entry", "{\\rtf1\\ansi\\ansicpg1252", "\\stshfdbch0",
                     "\\stshfbi0", "\\lsdstimax"],
        run: { bytes in
            let path = ScratchFiles.write(bytes, target: "identify", fileName: "content")
            let whole = FormatIdentifier.identify(path: path, originalName: "content.txt", mediaType: "text/plain")
            // Sizes around the scanner's margin (64) and joint (128), the PDF decision (152), and one from the input.
            let derived = 1 + bytes.reduce(bytes.count) { ($0 &* 31 &+ Int($1)) & 0xFFFF } % 300
            for size in [1, 63, 64, 65, 128, 129, 152, 4096, derived] {
                var sniffer = FormatSniffer()
                var at = 0
                while at < bytes.count {
                    bytes[at..<min(bytes.count, at + size)].withUnsafeBytes { sniffer.consume($0) }
                    at += size
                }
                let streamed = sniffer.finish(path: path, originalName: "content.txt", mediaType: "text/plain")
                check(whole == streamed, "in chunks of \(size): \(String(describing: streamed)), whole: \(String(describing: whole))")
            }
        })

    /// Text extraction at registration: the bytes as an uploaded file of one type.
    private static func extraction(_ name: String, _ mediaType: String, _ fileName: String, seeds: [String] = [], files: String? = nil,
                                   dictionary: [String]) -> FuzzTarget {
        FuzzTarget(
            name: name, summary: "text extraction as \(mediaType)",
            seeds: { seeds.map { Array($0.utf8) } + (files.map(Seeds.files) ?? []) },
            dictionary: dictionary,
            run: { bytes in
                let path = ScratchFiles.write(bytes, target: name, fileName: fileName)
                let extraction = TextExtractor(maxTextBytes: 64 << 10, maxInputBytes: 1 << 20)
                    .extract(fileAt: path, mediaType: mediaType, originalName: fileName)
                check(extraction.text.utf8.count <= 64 << 10, "extracted text over its cap")
            })
    }
}
