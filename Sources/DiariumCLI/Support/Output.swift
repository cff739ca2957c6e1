#if canImport(Glibc)
import Glibc
#endif
import DiariumCore
import Foundation

/// Printing for humans and scripts. Results go to stdout, progress and errors to stderr.
enum Output {
    static func json<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date))
        }
        let data = try encoder.encode(value)
        line(compactingEmpty(String(decoding: data, as: UTF8.self)))
    }

    /// Foundation's pretty printer writes an empty array or object over three lines ("[\n\n]"); `[]` and `{}` are
    /// what a reader and `jq` expect. Safe on the whole text: a line break inside a JSON string is always escaped.
    static func compactingEmpty(_ json: String) -> String {
        json.replacing(#/\[\n[ ]*\n[ ]*\]/#, with: "[]").replacing(#/\{\n[ ]*\n[ ]*\}/#, with: "{}")
    }

    static func line(_ text: String) {
        print(text)
    }

    static func flush() {
        fflush(nil)
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data("diarium: error: \(visible(text))\n".utf8))
    }

    static func note(_ text: String) {
        FileHandle.standardError.write(Data("\(visible(text))\n".utf8))
    }

    /// Control characters a message quotes (a file's name, a value typed) shown as escapes, not sent to the terminal:
    /// an ESC sequence in a file name must not retitle the window or colour what follows. Line breaks and tabs stay.
    static func visible(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isHidden) else { return text }
        var shown = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isHidden(scalar) {
                shown.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                shown.append(scalar)
            }
        }
        return String(shown)
    }

    private static func isHidden(_ scalar: Unicode.Scalar) -> Bool {
        // Bidirectional overrides and isolates too: they reorder what follows ("kvitto\u{202E}fdp.exe").
        scalar != "\n" && scalar != "\t" && (scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
            || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value))
    }

    static var stderrIsTerminal: Bool { isatty(2) != 0 }

    /// A progress line on a terminal, redrawn in place; nothing when stderr is a file or pipe.
    final class Progress {
        private let enabled = Output.stderrIsTerminal
        private var lastDraw = 0.0
        private var drawn = false

        /// `total` 0: not known in advance, only `done` is shown.
        func update(_ label: String, _ done: Int, _ total: Int) {
            guard enabled else { return }
            let now = Date().timeIntervalSince1970
            guard done == total || now - lastDraw > 0.1 else { return }
            lastDraw = now
            drawn = true
            FileHandle.standardError.write(Data("\r\(label) \(total > 0 ? "\(done)/\(total)" : "\(done)")\u{1B}[K".utf8))
        }

        func finish() {
            if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        }
    }

    /// Key–value lines with aligned keys; nil values are skipped.
    static func fields(_ pairs: [(String, String?)]) {
        let width = pairs.map(\.0.count).max() ?? 0
        for (key, value) in pairs {
            guard let value else { continue }
            line(key.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value)
        }
    }

    /// Times in listings are Swedish wall-clock time, as the register's dates and numbers are (`--json` keeps UTC).
    static func time(_ date: Date) -> String { Timestamp.swedishDisplay(date) }

    /// "privacy, OSL 26 kap. 1 §, hides content+title until 2030-01-01".
    static func restriction(_ kind: AccessRestriction.Kind, _ legalReference: String, hides: [AccessRestriction.Part],
                            until: CalendarDate?) -> String {
        "\(kind.rawValue), \(legalReference), hides \(hides.map(\.rawValue).joined(separator: "+"))" + (until.map { " until \($0)" } ?? "")
    }
}
