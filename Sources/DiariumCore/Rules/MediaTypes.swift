/// Media types by file extension, for the formats a municipality registers. Unknown → `application/octet-stream`.
public enum MediaTypes {
    static let byExtension: [String: String] = [
        "pdf": "application/pdf",
        "txt": "text/plain; charset=utf-8",
        "csv": "text/csv",
        "htm": "text/html",
        "html": "text/html",
        "xml": "application/xml",
        "json": "application/json",
        "md": "text/markdown",
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
