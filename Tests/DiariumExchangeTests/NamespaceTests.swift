import DiariumExchange
import DiariumTesting
import Foundation
import Testing

@Suite struct NamespaceTests {
    @Test func ermsNamespaceMatchesTheOfficialSchema() throws {
        // The official XSD (test data in ../shared) declares the target namespace the writer must use.
        let xsd = try String(contentsOfFile: SharedMaterial.path("schemas/erms/ERMS.xsd"), encoding: .utf8)
        #expect(xsd.contains("targetNamespace=\"\(Namespace.erms)\""))
    }
}
