import DiariumCore
import Foundation
import Testing

@Suite struct PercentDecodingTests {
    @Test(arguments: [
        "KS%202026%2F14-3", "plain", "", "%", "%4", "%zz", "%4G", "%C3%A5", "%c3%a5", "%C3", "%FF", "%00", "a%2Bb+c", "%%25",
        "%E2%80%8B", "%F0%9F%99%82", "%ED%A0%80", "100%", "%2", "ä%20ö",
    ])
    func decodesAsFoundationDoes(_ text: String) {
        #expect(text.percentDecoded() == text.removingPercentEncoding)
        #expect(Substring(text).percentDecoded() == text.removingPercentEncoding)
    }

    @Test func plusIsASpaceOnlyInForms() {
        #expect("a+b%2Bc".percentDecoded() == "a+b+c")
        #expect("a+b%2Bc".percentDecoded(plusIsSpace: true) == "a b+c")
        #expect("a+b%zz".percentDecoded(plusIsSpace: true) == nil)
        // A `+` is a space even before a combining mark (replacing "+" in a String, by characters, kept it).
        #expect("a+\u{301}".percentDecoded(plusIsSpace: true) == "a \u{301}")
    }
}
