import Foundation

/// The first key an object of a JSON text holds twice, named by its path (`restriction.hides`). Parsers disagree on
/// which copy counts: Foundation's `JSONSerialization`, which the unknown-field check reads, keeps the last, and
/// `JSONDecoder`, which fills the request, the first. A check made on one copy would not hold for the other (a
/// misspelt `hidez` in one restriction passed unseen while the other was used), so such a body is refused.
enum JSONDuplicateKeys {
    /// `data` must be valid JSON in UTF-8 (checked before): this scans, it does not validate.
    static func first(in data: Data) -> String? {
        let bytes = [UInt8](data)
        var stack: [Container] = []
        var i = 0
        func childPath() -> String {
            guard let top = stack.last else { return "" }
            let name = top.isObject ? top.lastKey : "[]"
            return top.path.isEmpty ? name : top.isObject ? "\(top.path).\(name)" : top.path + name
        }
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "{"):
                stack.append(Container(isObject: true, path: childPath(), expectsKey: true))
                i += 1
            case UInt8(ascii: "["):
                stack.append(Container(isObject: false, path: childPath()))
                i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard !stack.isEmpty else { return nil }   // not valid JSON after all: the decoder says so
                stack.removeLast()
                i += 1
            case UInt8(ascii: ","):
                if stack.last?.isObject == true { stack[stack.count - 1].expectsKey = true }
                i += 1
            case UInt8(ascii: "\""):
                let (text, end) = string(bytes, from: i + 1)
                i = end
                guard var top = stack.last, top.isObject, top.expectsKey else { continue }
                if !top.keys.insert(text).inserted {
                    return top.path.isEmpty ? text : "\(top.path).\(text)"
                }
                top.expectsKey = false
                top.lastKey = text
                stack[stack.count - 1] = top
            default:
                i += 1
            }
        }
        return nil
    }

    private struct Container {
        let isObject: Bool
        let path: String
        var keys: Set<String> = []
        var expectsKey = false
        var lastKey = ""
    }

    /// The string whose text starts at `start` (after its opening quote), unescaped, and the index after its closing
    /// quote. Keys compare as the decoders compare them: as Swift strings of their code points.
    private static func string(_ bytes: [UInt8], from start: Int) -> (String, Int) {
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        var i = start
        func flush() {
            scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
            raw.removeAll(keepingCapacity: true)
        }
        func hex(at index: Int) -> UInt32? {
            guard index + 4 <= bytes.count else { return nil }
            return UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
        }
        while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
            guard bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count else {
                raw.append(bytes[i])
                i += 1
                continue
            }
            flush()
            let escaped = bytes[i + 1]
            i += 2
            switch escaped {
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                guard var value = hex(at: i) else { continue }
                i += 4
                if (0xD800...0xDBFF).contains(value), i + 6 <= bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u"),
                   let low = hex(at: i + 2), (0xDC00...0xDFFF).contains(low) {
                    value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                scalars.append(Unicode.Scalar(value) ?? "\u{FFFD}")
            default: scalars.append(Unicode.Scalar(escaped))   // \" \\ \/
            }
        }
        flush()
        return (String(scalars), i + 1)
    }
}
