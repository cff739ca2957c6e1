import DiariumCore
import DiariumXML

/// Turns stored files into text for the search index. Stateless and Sendable: share one instance.
public struct TextExtractor: Sendable {
    let maxTextBytes: Int
    let maxInputBytes: Int64
    /// The pdftotext executable in use, nil when PDF text cannot be extracted.
    let pdftotextPath: String?
    /// How long pdftotext may run before it is killed (internal: tests shorten it).
    var pdfTimeout = PDFText.defaultTimeout

    /// pdftotext: nil = look for /usr/bin/pdftotext (and PATH) at init.
    /// A path that is not an executable file means "not available", which lets tests and operators turn PDF text off.
    public init(maxTextBytes: Int = 1 << 20, maxInputBytes: Int64 = 256 << 20, pdftotextPath: String? = nil) {
        self.maxTextBytes = max(0, maxTextBytes)
        self.maxInputBytes = maxInputBytes
        if let pdftotextPath {
            self.pdftotextPath = PDFText.isExecutable(pdftotextPath) ? pdftotextPath : nil
        } else {
            self.pdftotextPath = PDFText.findTool()
        }
    }

    /// Whether PDF text can be extracted on this machine.
    public var canExtractPDF: Bool { pdftotextPath != nil }

    /// Never throws: failures come back as status .failed with a message. Chooses the extractor by media type,
    /// falling back to the file name's extension.
    public func extract(fileAt path: String, mediaType: String, originalName: String) -> TextExtraction {
        guard let format = Format.choose(mediaType: mediaType, originalName: originalName) else {
            let essence = Format.essence(of: mediaType)
            let what = essence.isEmpty || essence == "application/octet-stream" ? "this file type" : essence
            return TextExtraction(status: .unsupported, extractor: "none", text: "", message: "no text extraction for \(what)")
        }
        var extractor = format.rawValue
        if format == .pdf {
            guard canExtractPDF else {
                return TextExtraction(
                    status: .unsupported, extractor: "none", text: "", message: "pdftotext is not installed: metadata only")
            }
            extractor = "pdftotext"
        }

        var text = TextAccumulator(maxBytes: maxTextBytes)
        do throws(ExtractionStop) {
            let file = try InputFile(path: path, displayName: originalName)
            if file.size > maxInputBytes {
                throw .unsupported("the file is \(file.size) bytes, more than the text extraction limit of \(maxInputBytes) bytes")
            }
            if file.size == 0 {
                return TextExtraction(status: .empty, extractor: extractor, text: "", message: "the file is empty")
            }
            try run(format, file: file, path: path, originalName: originalName, into: &text)
        } catch {
            return TextExtraction(
                status: error.status, extractor: error.status == .unsupported ? "none" : extractor, text: "",
                message: error.message)
        }

        let extracted = text.text   // first: bringing it to NFC can cut it
        if text.isTruncated {
            return TextExtraction(
                status: .truncated, extractor: extractor, text: extracted,
                message: "text cut at \(maxTextBytes) bytes; the rest is not searchable")
        }
        if extracted.isEmpty {
            let why = format == .pdf ? "no text found (a scanned PDF without a text layer?)" : "no text found"
            return TextExtraction(status: .empty, extractor: extractor, text: "", message: why)
        }
        return TextExtraction(status: .extracted, extractor: extractor, text: extracted, message: nil)
    }

    /// What the catalog keeps of content's bytes: the text for the index (`extract`) and the PRONOM format
    /// (`FormatIdentifier`), which reads the whole file again. Where the bytes went by once already (staging), a
    /// `FormatSniffer` watching them is cheaper: `extract`, then `identified(as:)`. A file that cannot be read for
    /// its format is left without one (and stays pending for `diarium formats identify`).
    public func analyse(fileAt path: String, mediaType: String, originalName: String) -> TextExtraction {
        let result = extract(fileAt: path, mediaType: mediaType, originalName: originalName)
        do {
            return result.identified(as: try FormatIdentifier.identifyFile(at: path, originalName: originalName, mediaType: mediaType))
        } catch {
            return result
        }
    }

    private func run(
        _ format: Format, file: InputFile, path: String, originalName: String, into text: inout TextAccumulator
    ) throws(ExtractionStop) {
        // HTML and XML are parsed into a tree several times their size: the same cap as one office part.
        let markupLimit = Int(min(maxInputBytes, Int64(OfficePackage.maxPartBytes)))
        switch format {
        case .text:
            try PlainText.extract(file, into: &text)
        case .html:
            let bytes = try file.readAll(maxBytes: Int64(markupLimit))
            try failing { () throws(DiariumError) in try Markup.html(bytes, maxInputBytes: markupLimit, into: &text) }
        case .xml:
            let bytes = try file.readAll(maxBytes: Int64(markupLimit))
            try failing { () throws(DiariumError) in try Markup.xml(bytes, maxInputBytes: markupLimit, into: &text) }
        case .docx, .xlsx, .pptx, .odt, .ods, .odp:
            try OfficePackage.extract(
                OfficePackage.Format(rawValue: format.rawValue)!, path: path, displayName: originalName, into: &text)
        case .pdf:
            try PDFText.extract(tool: pdftotextPath!, path: path, timeout: pdfTimeout, into: &text)
        }
    }
}

/// Domain errors from the parsers are extraction failures; their messages are written for users already.
private func failing(_ body: () throws(DiariumError) -> Void) throws(ExtractionStop) {
    do {
        try body()
    } catch {
        throw .failed(error.message)
    }
}

/// The extractors, chosen by media type, then by extension.
enum Format: String {
    case text, html, xml, docx, xlsx, pptx, odt, ods, odp, pdf

    static let byMediaType: [String: Format] = Dictionary(uniqueKeysWithValues: MediaTypes.plainText.map { ($0, .text) }).merging([
        "text/html": .html, "application/xhtml+xml": .html,
        "application/xml": .xml, "text/xml": .xml,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": .docx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": .xlsx,
        "application/vnd.openxmlformats-officedocument.presentationml.presentation": .pptx,
        "application/vnd.oasis.opendocument.text": .odt,
        "application/vnd.oasis.opendocument.spreadsheet": .ods,
        "application/vnd.oasis.opendocument.presentation": .odp,
        "application/pdf": .pdf,
    ]) { $1 }

    static let byExtension: [String: Format] = [
        "txt": .text, "csv": .text, "tsv": .text, "md": .text, "markdown": .text,
        "htm": .html, "html": .html, "xhtml": .html,
        "xml": .xml,
        "docx": .docx, "xlsx": .xlsx, "pptx": .pptx, "odt": .odt, "ods": .ods, "odp": .odp,
        "pdf": .pdf,
    ]

    static func choose(mediaType: String, originalName: String) -> Format? {
        if let format = byMediaType[essence(of: mediaType)] { return format }
        guard let dot = originalName.lastIndex(of: "."), dot != originalName.startIndex else { return nil }
        return byExtension[originalName[originalName.index(after: dot)...].lowercased()]
    }

    /// "Text/HTML; charset=utf-8" → "text/html".
    static func essence(of mediaType: String) -> String {
        MediaTypes.essence(of: mediaType).lowercased()
    }
}
