/// A command's discussion as the terminal shows it. Written in the source as paragraphs wrapped for the editor and
/// examples one command a line; argument-parser wraps every line again at the terminal's width (80 columns when it
/// is no terminal), which left ragged prose and examples broken inside their quotes, not to be pasted. So:
/// - the lines of a paragraph are joined, for argument-parser to wrap once (a line starting with "Example", "- " or
///   "• " starts a line of its own);
/// - an indented line (an example, a table's row) stays as it is, and a command longer than `width` is continued
///   with a shell's " \" at a space outside quotes, so what is pasted runs.
func prose(_ text: String, width: Int = 78) -> String {
    // An example already continued by hand is one command: joined here, broken again below at this width.
    var source: [String] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
        if let last = source.last, last.first?.isWhitespace == true, last.hasSuffix(" \\"), line.first?.isWhitespace == true {
            source[source.count - 1] = String(last.dropLast(2)) + " " + line.drop { $0 == " " }
        } else {
            source.append(line)
        }
    }
    var lines: [String] = []
    var joinable = false
    for line in source {
        if line.isEmpty {
            lines.append(line)
            joinable = false
        } else if line.first?.isWhitespace == true {
            lines += continued(line, width: width)
            joinable = false
        } else if let colon = line.firstIndex(of: ":"), line.hasPrefix("Example"),
                  line[line.index(after: colon)...].drop(while: { $0 == " " }).hasPrefix("diarium ") {
            // "Example: diarium …" on one line: the command goes on a line of its own, to be continued as one.
            lines.append(String(line[...colon]))
            lines += continued("  " + line[line.index(after: colon)...].drop { $0 == " " }, width: width)
            joinable = false
        } else {
            let startsOwn = ["Example", "- ", "• "].contains { line.hasPrefix($0) }
            if joinable && !startsOwn, let last = lines.popLast() {
                lines.append(last + " " + line)
            } else {
                lines.append(line)
            }
            joinable = !startsOwn
        }
    }
    return lines.joined(separator: "\n")
}

/// An example line broken with " \" at spaces outside quotes, each piece at most `width` columns where it can be.
private func continued(_ text: String, width: Int) -> [String] {
    // Only commands: an indented table row (the query language's) is no shell line.
    let command = text.drop { $0 == " " }
    guard ["diarium ", "curl ", "DIARIUM_"].contains(where: { command.hasPrefix($0) }) else { return [text] }
    // Every command at the same indent (some were aligned under "Example: " in the source).
    var line = "  " + command
    // A comment is no part of the command: a " \" inside it would not continue the line. It goes after the last
    // piece, or above the command when it does not fit there.
    var comment: String?
    var quoted = false
    for index in line.indices {
        if line[index] == "\"" { quoted.toggle() }
        if !quoted, line[index] == "#", index > line.startIndex, line[line.index(before: index)] == " " {
            comment = String(line[index...])
            line = String(line[..<index]).replacing(#/ +$/#, with: "")
            break
        }
    }
    let pieces = breaking(line, width: width)
    guard let comment else { return pieces }
    if let last = pieces.last, last.count + 2 + comment.count <= width { return pieces.dropLast() + [last + "  " + comment] }
    return ["  " + comment] + pieces
}

private func breaking(_ line: String, width: Int) -> [String] {
    guard line.count > width else { return [line] }
    let indent = String(line.prefix { $0 == " " })
    let more = indent + "    "
    var pieces: [String] = []
    var rest = Array(line)
    var prefix = ""
    while prefix.count + rest.count > width {
        // The last space outside quotes that leaves room for " \".
        var quoted = false
        var cut: Int?
        for (index, character) in rest.enumerated() {
            if character == "\"" { quoted.toggle() }
            if character == " ", !quoted, index > indent.count, prefix.count + index + 2 <= width { cut = index }
        }
        guard let cut, cut > 0 else { break }
        pieces.append(prefix + String(rest[..<cut]) + " \\")
        rest = Array(rest[(cut + 1)...])
        prefix = more
    }
    pieces.append(prefix + String(rest))
    return pieces
}
