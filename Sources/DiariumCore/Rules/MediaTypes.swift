/// Media types by file extension, for the formats a municipality registers. Unknown → `application/octet-stream`.
public enum MediaTypes {
    static let byExtension: [String: String] = [
        "pdf": "application/pdf",
        "txt": "text/plain",
        "csv": "text/csv",
        "tsv": "text/tab-separated-values",
        "htm": "text/html",
        "html": "text/html",
        "xml": "application/xml",
        "json": "application/json",
        "md": "text/markdown",
        "markdown": "text/markdown",
        "rtf": "application/rtf",
        "doc": "application/msword",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls": "application/vnd.ms-excel",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt": "application/vnd.ms-powerpoint",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt": "application/vnd.oasis.opendocument.text",
        "ods": "application/vnd.oasis.opendocument.spreadsheet",
        "odp": "application/vnd.oasis.opendocument.presentation",
        "png": "image/png",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "tif": "image/tiff",
        "tiff": "image/tiff",
        "gif": "image/gif",
        "svg": "image/svg+xml",
        "eml": "message/rfc822",
        "msg": "application/vnd.ms-outlook",
        "zip": "application/zip",
        "mp3": "audio/mpeg",
        "mp4": "video/mp4",
    ]

    public static func guess(forFileName name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "application/octet-stream" }
        let ext = name[name.index(after: dot)...].lowercased()
        return byExtension[ext] ?? "application/octet-stream"
    }

    /// The types whose content is read as plain text (by the text extraction too).
    public static let plainText: Set<String> = ["text/plain", "text/csv", "text/markdown", "text/x-markdown", "text/tab-separated-values"]

    /// Plain text whose type does not say its encoding: registration adds the charset its bytes are in.
    public static func needsCharset(_ mediaType: String) -> Bool {
        plainText.contains(essence(of: mediaType).lowercased()) && charset(of: mediaType) == nil
    }

    /// The `charset` parameter's value (unquoted, lowercased); nil when there is none.
    public static func charset(of mediaType: String) -> String? {
        for parameter in mediaType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingSpaces().lowercased() == "charset" else { continue }
            var value = pair[1].trimmingSpaces()
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            return value.lowercased()
        }
        return nil
    }

    /// What is kept of a media type a client declares: `type/subtype` lowercased, and for text and XML the `charset`
    /// when it is a valid label (a token of at most 40 characters), lowercased. Other parameters (a boundary, a
    /// format) are dropped. A value without a type is returned as sent, for `check` to refuse by name.
    public static func declared(_ value: String) -> String {
        let type = essence(of: value).lowercased()
        guard !type.isEmpty else { return value }
        guard type.hasPrefix("text/") || type.hasSuffix("/xml") || type.hasSuffix("+xml"), let charset = charset(of: value),
              (1...40).contains(charset.count), charset.unicodeScalars.allSatisfy(isTokenCharacter) else { return type }
        return "\(type); charset=\(charset)"
    }

    /// RFC 9110's `tchar`.
    static func isTokenCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "!", "#", "$", "%", "&", "'", "*", "+", "-", ".", "^", "_", "`", "|", "~": true
        default: false
        }
    }

    /// The `type/subtype` before any parameters, trimmed, as written (`""` for `";"` or an empty value).
    public static func essence(of mediaType: some StringProtocol) -> String {
        let end = mediaType.firstIndex(of: ";") ?? mediaType.endIndex
        return String(mediaType[..<end]).trimmingSpaces()
    }

    /// `type/subtype` with optional parameters; no spaces inside the type, no control characters.
    public static func check(_ mediaType: String, field: String = "mediaType") throws(DiariumError) -> String {
        let value = try TextRules.line(mediaType, field: field, maxLength: 200)
        let parts = essence(of: value).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && !$0.contains(" ") }) else {
            throw .invalid(field, "invalid media type '\(value)': expected type/subtype, e.g. application/pdf")
        }
        return value
    }
}
