import DiariumCore
import Foundation
import Testing

@Suite struct TrimmingTests {
    @Test(arguments: [
        "", " ", "\t", "plan", "  Bygglov för förskola  ", "\tÅtgärdsplan\t ", "\u{00A0}nbsp\u{2003}", "\n kept newlines \n",
        " inner  spaces stay ", "\u{3000}ideographic\u{3000}", "e\u{301} ", " \u{301}", "x\u{200B}", "🙂 ",
    ])
    func trimsWhatFoundationTrims(_ text: String) {
        #expect(text.trimmingSpaces() == text.trimmingCharacters(in: .whitespaces))
        #expect(Substring(text).trimmingSpaces() == text.trimmingCharacters(in: .whitespaces))
    }
}
