import DiariumCore
import DiariumPackage
import Testing

@Suite struct ArchivePathPolicyTests {
    @Test(arguments: [
        ("a.txt", "a.txt"),
        ("./a.txt", "a.txt"),
        ("mapp/./undermapp//b.txt", "mapp/undermapp/b.txt"),
        ("mapp/", "mapp"),
        ("./", ""),
        ("café – noter.txt", "café – noter.txt"),
        ("a..b/..c", "a..b/..c"),
    ])
    func normalisesSafeNames(raw: String, expected: String) throws {
        #expect(try ArchivePathPolicy.normalize(raw) == expected)
    }

    @Test(arguments: [
        ("", "empty"),
        ("/etc/passwd", "absolute"),
        ("//server/share", "absolute"),
        ("..", "'..'"),
        ("../evil", "'..'"),
        ("a/../../evil", "'..'"),
        ("a/..", "'..'"),
        ("a\\..\\evil", "backslash"),
        ("C:/Windows/evil", "drive-letter"),
        ("a\u{0}b", "control character"),
        ("rad\nbryt", "control character"),
        (String(repeating: "x", count: 256), "longer than 255 bytes"),
        (String(repeating: "a/", count: 2100), "longer than 4096 bytes"),
    ])
    func refusesUnsafeNames(raw: String, reason: String) {
        do {
            let accepted = try ArchivePathPolicy.normalize(raw)
            Issue.record("accepted '\(accepted)'")
        } catch {
            #expect(error.code == .invalidField)
            #expect(error.message.contains(reason), "\(error.message)")
            #expect(!error.message.contains("\n"))
        }
    }

    @Test func entryTypes() throws {
        #expect(try ArchivePathPolicy.check(ArchiveEntry(path: "./", kind: .directory, declaredSize: 0)) == "")
        #expect(throws: DiariumError.self) {
            try ArchivePathPolicy.check(ArchiveEntry(path: "./", kind: .file, declaredSize: 0))
        }
        for kind: ArchiveEntry.Kind in [.symbolicLink, .hardLink, .other(mode: 0o020000), .other(mode: 0o010000)] {
            #expect(throws: DiariumError.self) {
                try ArchivePathPolicy.check(ArchiveEntry(path: "x", kind: kind, declaredSize: 0, linkTarget: "/etc/passwd"))
            }
        }
    }
}
