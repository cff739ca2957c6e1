import DiariumCore
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
}
