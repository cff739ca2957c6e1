import DiariumTesting
import Foundation
import Testing

@testable import DiariumServices

@Suite struct ExchangeFilesTests {
    /// A file is written under a temp name of its own: a `.part` planted in a shared exchange folder as a link to
    /// another file is never written through, and a leftover one from a crash is left alone.
    @Test func aReceiptIsNeverWrittenThroughALinkLeftAtItsTempName() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let victim = try dir.write("victim.txt", "keep me")
        let receipt = dir.file("REF.receipt.xml")
        try FileManager.default.createSymbolicLink(atPath: receipt + ".part", withDestinationPath: victim)
        try ExchangeFiles.writeAtomically(Array("<receipt/>".utf8), to: receipt)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep me")
        #expect(try String(contentsOfFile: receipt, encoding: .utf8) == "<receipt/>")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["REF.receipt.xml", "REF.receipt.xml.part", "victim.txt"])

        try FileManager.default.removeItem(atPath: receipt + ".part")
        try dir.write("REF.receipt.xml.part", "half a receipt from a crash")
        try ExchangeFiles.writeAtomically(Array("<receipt2/>".utf8), to: receipt)
        #expect(try String(contentsOfFile: receipt, encoding: .utf8) == "<receipt2/>")
        #expect(try String(contentsOfFile: receipt + ".part", encoding: .utf8) == "half a receipt from a crash")
    }
}
