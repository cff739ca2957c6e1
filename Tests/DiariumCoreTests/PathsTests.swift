import DiariumCore
import Foundation
import Testing

@Suite struct PathsTests {
    @Test(arguments: [
        ("/srv/diarium/catalog.sqlite", "/srv/diarium"),
        ("store/catalog.sqlite", "store"),
        ("catalog.sqlite", "."),
        ("/catalog.sqlite", "/"),
        ("out/KS/", "out/KS"),
    ])
    func theParentOfAPath(path: String, parent: String) {
        #expect(Paths.parent(of: path) == parent)
    }

    /// A relative path is joined to the working directory, "./" and "." read away; one from the root is kept.
    @Test func anAbsolutePath() {
        let cwd = FileManager.default.currentDirectoryPath
        let base = cwd == "/" ? "" : cwd
        #expect(Paths.absolute("/srv/kopia") == "/srv/kopia")
        #expect(Paths.absolute("kopia") == base + "/kopia")
        #expect(Paths.absolute("./kopia") == base + "/kopia")
        #expect(Paths.absolute(".//a/b") == base + "/a/b")
        #expect(Paths.absolute(".") == (base.isEmpty ? "/" : base))
    }

    /// Writers renaming into place refuse anything but a regular file there (or nothing).
    @Test func whatIsNotAFile() throws {
        let dir = NSTemporaryDirectory() + "paths-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        FileManager.default.createFile(atPath: dir + "/file", contents: Data("x".utf8))
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: dir + "/file")
        #expect(!Paths.holdsOtherThanAFile(dir + "/file") && !Paths.holdsOtherThanAFile(dir + "/none"))
        #expect(Paths.holdsOtherThanAFile(dir + "/link") && Paths.holdsOtherThanAFile(dir) && Paths.holdsOtherThanAFile("/dev/null"))
    }

    /// A temp name's stem: whole characters, at most the bytes given.
    @Test func tempStemsStayShortAndWhole() {
        #expect(Paths.tempStem("plan.pdf") == "plan.pdf")
        #expect(Paths.tempStem(String(repeating: "b", count: 244)).utf8.count == 200)
        let swedish = Paths.tempStem(String(repeating: "å", count: 150))   // two bytes each
        #expect(swedish.utf8.count == 200 && swedish.allSatisfy { $0 == "å" })
        #expect(Paths.tempStem("åäö", maxBytes: 5) == "åä")
    }
}
