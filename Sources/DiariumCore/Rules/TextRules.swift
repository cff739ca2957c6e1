import Foundation

/// Rules for free text that ends up in registers, audit lines and file names.
public enum TextRules {
    /// A single line: non-empty after trimming, no control characters, at most `maxLength` characters.
    public static func checkLine(_ text: String, field: String, maxLength: Int = 1000) throws(DiariumError) {
        if text.trimmingWhitespace().isEmpty {
            throw .invalid(field, "\(field) must not be empty")
        }
        // Characters as SQLite's length() and XML Schema's length facets count them: code points, not grapheme
        // clusters (an "कि" is two), so a value this rule accepts is never refused by a CHECK or an export schema.
        if text.unicodeScalars.count > maxLength {
            throw .invalid(field, "\(field) is longer than \(maxLength) characters")
        }
        try checkCharacters(text, field: field)
        if !text.unicodeScalars.contains(where: isVisible) {
            let first = text.unicodeScalars.first { !isSpace($0) }.map { " (U+\(String($0.value, radix: 16, uppercase: true)))" } ?? ""
            throw .invalid(field, "\(field) must contain a visible character, not only invisible ones\(first)")
        }
    }

    /// Whether a character shows: not a space (what lines are trimmed of), not a control, not one Unicode says to
    /// draw as nothing (Default_Ignorable_Code_Point: U+200E, U+2060, U+FEFF, variation selectors …). A title made of
    /// those alone is an empty line in every list, and no one can find or tell it apart. Within the BMP only: the
    /// API's schema states the rule as a regular expression, whose dialect (ECMA-262 without the u flag) cannot name
    /// a character above it in a class, and the two must agree (the few such characters, tags among them, count as shown).
    public static func isVisible(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x80 { return scalar.value > 0x20 && scalar.value != 0x7F }
        return !isSpace(scalar) && scalar.properties.generalCategory != .control
            && (scalar.value > 0xFFFF || !scalar.properties.isDefaultIgnorableCodePoint)
    }

    /// What lines are trimmed of (`trimmingSpaces`): space, tab, the other space separators (Zs), U+200B, and the line
    /// and paragraph separators U+2028 and U+2029 (which `line` makes spaces inside a line): a value of those alone
    /// is as empty as one of spaces, not a title that shows as nothing.
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || (scalar.value >= 0x80 && (scalar.properties.generalCategory == .spaceSeparator || scalar.value == 0x200B
                                                                   || scalar.value == 0x2028 || scalar.value == 0x2029))
    }

    /// No control characters (tabs, line breaks), no bidirectional overrides or isolates, and not U+FFFE or U+FFFF,
    /// which are no characters and which XML cannot carry: an export would have to change them, and an import would
    /// then differ from the store.
    static func checkCharacters(_ text: String, field: String) throws(DiariumError) {
        for scalar in text.unicodeScalars {
            if scalar.properties.generalCategory == .control {
                throw .invalid(field, "\(field) must not contain control characters (tabs, line breaks)")
            }
            // An override or isolate turns what follows around where it is shown: "Faktura \u{202E}fdp.exe" shows as
            // "Faktura exe.pdf" in the public register and a browser's tab, and a sender so written is not found by
            // the name it shows. Names in right-to-left scripts need none of them.
            if isBidirectionalControl(scalar) {
                throw .invalid(field, "\(field) must not contain the bidirectional control U+\(String(scalar.value, radix: 16, uppercase: true)) "
                               + "(it makes text show as other than it is)")
            }
            if scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                throw .invalid(field, "\(field) must not contain U+\(String(scalar.value, radix: 16, uppercase: true)), which is not a character")
            }
        }
    }

    /// Like `checkLine`, for an optional value; returns the trimmed value (NFC), `nil` for absent or blank (nothing
    /// visible: spaces, or only characters drawn as nothing). A blank value longer than `maxLength`, or with a control
    /// character, is refused like any other: those are rules of the field, as its schema says.
    public static func optionalLine(_ text: String?, field: String, maxLength: Int = 1000) throws(DiariumError) -> String? {
        guard let text else { return nil }
        if text.unicodeScalars.count > maxLength { throw .invalid(field, "\(field) is longer than \(maxLength) characters") }
        // A tab is a control character, as in any line, even where nothing else is given.
        try checkCharacters(text, field: field)
        guard text.unicodeScalars.contains(where: isVisible) else { return nil }
        return try line(text, field: field, maxLength: maxLength)
    }

    /// A stored value kept as it is by a correction, in NFC when that still fits `maxLength`: never refused (it
    /// passed the rules of its day), but a title stored in NFD is found by the words typed in NFC once corrected.
    public static func composed(_ text: String, maxLength: Int) -> String {
        let composed = text.precomposedStringWithCanonicalMapping
        return composed.unicodeScalars.count <= maxLength ? composed : text
    }

    /// A required line, trimmed, in NFC: the index compares bytes, and "å" typed on one system may arrive as "a" and
    /// a combining ring from another (macOS file names, some PDFs). The length is checked as sent (what the API's
    /// schema states) and as it will be stored: NFC can make a text longer (U+FB2C is three code points composed),
    /// and the stored text is what a CHECK or an export schema counts.
    public static func line(_ text: String, field: String, maxLength: Int = 1000) throws(DiariumError) -> String {
        try checkLine(text, field: field, maxLength: maxLength)
        // U+2028 and U+2029 (pasted from a PDF or a web page) break a line as LF does, and a register line holding
        // one shows as two: a space, as `foldedLine` makes of any break. Not refused: older stores hold such values,
        // and their packages are imported and their documents corrected.
        var text = text
        if text.unicodeScalars.contains(where: { $0.value == 0x2028 || $0.value == 0x2029 }) {
            text = String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value == 0x2028 || $0.value == 0x2029 ? " " : $0 }))
        }
        let normalized = text.trimmingWhitespace().precomposedStringWithCanonicalMapping
        if normalized.unicodeScalars.count > maxLength {
            throw .invalid(field, "\(field) is longer than \(maxLength) characters once normalised (NFC)")
        }
        return normalized
    }
}

extension TextRules {
    /// A content file's original name: a line of at most 255 characters that names one file. No path ("/"), and not
    /// "." or "..". (No line has bidirectional overrides or isolates, which would make "kvitto\u{202E}fdp.exe" show as
    /// "kvittoexe.pdf" in a clerk's file manager or mail client.)
    public static func fileName(_ text: String, field: String = "originalName") throws(DiariumError) -> String {
        let name = try line(text, field: field, maxLength: 255)
        if name.contains("/") { throw .invalid(field, "\(field) names a file, not a path: it must not contain '/'") }
        if name == "." || name == ".." { throw .invalid(field, "\(field) must name a file, not '\(name)'") }
        return name
    }

    /// A stored name made to pass `fileName`, for names kept from before the rule (or read from elsewhere) that are
    /// shown or reused: "/" and a backslash (a path on Windows, where a download may be saved) become "_", bidirectional
    /// controls go, "." and ".." become "_".
    public static func safeFileName(_ name: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in name.unicodeScalars where !isBidirectionalControl(scalar) {
            scalars.append(scalar == "/" || scalar == "\\" ? "_" : scalar)
        }
        let safe = String(scalars)
        return safe == "." || safe == ".." || safe.trimmingWhitespace().isEmpty ? "_" : safe
    }

    /// A line made from text written elsewhere (a foreign package's descriptive metadata), so that `line` accepts it:
    /// runs of white space, line breaks included, become one space, other control characters go, and it is put in
    /// NFC and cut to `maxLength` code points at a character's end. `nil` when nothing is left; `shortened` says
    /// whether it was cut.
    public static func foldedLine(_ text: String, maxLength: Int) -> (text: String, shortened: Bool)? {
        var folded = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace {
                pendingSpace = !folded.isEmpty
            } else if scalar.properties.generalCategory != .control && !isBidirectionalControl(scalar) {
                if pendingSpace { folded.append(" ") }
                pendingSpace = false
                folded.append(scalar)
            }
        }
        let line = String(folded).precomposedStringWithCanonicalMapping
        guard line.unicodeScalars.contains(where: isVisible) else { return nil }
        guard line.unicodeScalars.count > maxLength else { return (line, false) }
        var cut = ""
        var count = 0
        for character in line {
            let scalars = character.unicodeScalars.count
            if count + scalars > maxLength { break }
            cut.append(character)
            count += scalars
        }
        return (cut.trimmingWhitespace(), true)
    }

    static func isBidirectionalControl(_ scalar: Unicode.Scalar) -> Bool {
        (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
    }

    /// The text without bidirectional overrides and isolates, read in the order it is stored: for values written
    /// before lines refused them (an older package, a store's settings), which stay readable rather than refused.
    public static func withoutBidirectionalControls(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isBidirectionalControl) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.filter { !isBidirectionalControl($0) }))
    }
}

extension String {
    func trimmingWhitespace() -> String {
        trimmingSpaces()
    }
}
