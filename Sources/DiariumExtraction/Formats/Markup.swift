import DiariumCore
import DiariumXML

enum Markup {
    /// What a browser would show: no scripts, styles or templates; a line per block.
    static let htmlLayout = TextLayout(
        skipping: ["script", "style", "template"],
        blockElements: [
            "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "div", "dl", "dt", "fieldset",
            "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
            "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "tfoot", "thead", "title", "tr", "ul",
        ],
        spaceElements: ["td", "th", "option", "label", "button"])

    /// Generic XML: every element boundary separates words.
    static let xmlLayout = TextLayout(otherElements: .space)

    static func html(_ bytes: [UInt8], maxInputBytes: Int, into text: inout TextAccumulator) throws(DiariumError) {
        try text.appendHTMLText(bytes, layout: htmlLayout, maxInputBytes: maxInputBytes)
    }

    static func xml(_ bytes: [UInt8], maxInputBytes: Int, into text: inout TextAccumulator) throws(DiariumError) {
        try text.appendXMLText(bytes, layout: xmlLayout, maxInputBytes: maxInputBytes)
    }
}
