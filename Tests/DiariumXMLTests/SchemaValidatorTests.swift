import DiariumCore
import DiariumTesting
import DiariumXML
import Dispatch
import Foundation
import Testing

private let orderXSD = """
    <?xml version="1.0" encoding="UTF-8"?>
    <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:o="urn:x-test:order"
               targetNamespace="urn:x-test:order" elementFormDefault="qualified">
      <xs:element name="order">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="customer" type="xs:string"/>
            <xs:element name="item" maxOccurs="unbounded">
              <xs:complexType>
                <xs:attribute name="quantity" type="xs:positiveInteger" use="required"/>
              </xs:complexType>
            </xs:element>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
    </xs:schema>
    """

private let validOrder = """
    <?xml version="1.0" encoding="UTF-8"?>
    <o:order xmlns:o="urn:x-test:order">
      <o:customer>Miljöförvaltningen</o:customer>
      <o:item quantity="2"/>
    </o:order>
    """

/// Two errors: a bad attribute value on line 4 (second item, column 18 after two on the line), an unexpected element on line 5.
private let invalidOrder = """
    <?xml version="1.0" encoding="UTF-8"?>
    <o:order xmlns:o="urn:x-test:order">
      <o:customer>Anna</o:customer>
      <o:item quantity="1"/><o:item quantity="0"/>
      <o:surprise/>
    </o:order>
    """

@Suite struct SchemaValidatorTests {
    func validator() throws -> SchemaValidator {
        try SchemaValidator(xsd: Array(orderXSD.utf8), name: "order.xsd")
    }

    @Test func validDocumentHasNoDiagnostics() throws {
        let schema = try validator()
        #expect(schema.compileWarnings.isEmpty)
        #expect(try schema.validate(Array(validOrder.utf8)).diagnostics.isEmpty)
        #expect(schema.validate(try MarkupDocument.parseXML(validOrder)).isEmpty)
    }

    @Test func errorsNameLineColumnElementAndPath() throws {
        let diagnostics = try validator().validate(Array(invalidOrder.utf8)).diagnostics
        #expect(diagnostics.count == 2)
        let quantity = try #require(diagnostics.first)
        #expect(quantity.severity == .error)
        #expect(quantity.line == 4)
        #expect(quantity.column == 25)
        #expect(quantity.element == "item")
        #expect(quantity.attribute == "quantity")
        #expect(quantity.path == "/order/item[2]")
        #expect(quantity.message.contains("'0'"))
        #expect(!quantity.message.hasPrefix("Element"))
        let surprise = diagnostics[1]
        #expect(surprise.line == 5 && surprise.column == 3)
        #expect(surprise.element == "surprise")
        #expect(surprise.path == "/order/surprise")
        #expect(surprise.message.contains("not expected"))
        #expect(surprise.description.hasPrefix("line 5:3 /order/surprise: "))

        // The tree alone knows lines and elements, not columns.
        let fromTree = try validator().validate(try MarkupDocument.parseXML(invalidOrder))
        #expect(fromTree.map(\.line) == [4, 5])
        #expect(fromTree.map(\.column) == [0, 0])
        #expect(fromTree.map(\.path) == ["/order/item[2]", "/order/surprise"])
    }

    @Test func columnsSkipCommentsCDATAAndCountCharacters() throws {
        // The comment and CDATA hold text that looks like start tags; "ö" is two bytes but one column.
        let xml = """
            <o:order xmlns:o="urn:x-test:order"><!-- <o:item quantity="9"/> --><o:customer><![CDATA[<x>]]>ö</o:customer><o:bad/></o:order>
            """
        let diagnostics = try validator().validate(Array(xml.utf8)).diagnostics
        let bad = try #require(diagnostics.first)
        #expect(bad.element == "bad")
        #expect(bad.line == 1)
        #expect(bad.column == xml.distance(from: xml.startIndex, to: xml.range(of: "<o:bad")!.lowerBound) + 1)
    }

    @Test func hostileInstanceWithDoctypeIsRefusedBeforeValidation() throws {
        let hostile = """
            <?xml version="1.0"?>
            <!DOCTYPE o:order [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
            <o:order xmlns:o="urn:x-test:order"><o:customer>&xxe;</o:customer><o:item quantity="1"/></o:order>
            """
        #expect(throws: DiariumError.self) { try validator().validate(Array(hostile.utf8)) }
        let schema = try validator()
        do {
            _ = try schema.validate(Array(hostile.utf8))
        } catch {
            #expect(error.field == "xml")
            #expect(error.message.contains("DOCTYPE"))
            #expect(error.message.contains("line 2"))
        }
    }

    @Test func brokenSchemaFailsToCompileNamingTheLine() throws {
        let broken = orderXSD.replacingOccurrences(of: "type=\"xs:string\"", with: "type=\"o:missing\"")
        do {
            _ = try SchemaValidator(xsd: Array(broken.utf8), name: "broken.xsd")
            Issue.record("a schema with an unresolved type compiled")
        } catch {
            #expect(error.field == "xsd")
            #expect(error.message.contains("broken.xsd"))
            #expect(error.message.contains("line 7"))
        }
        #expect(throws: DiariumError.self) { try SchemaValidator(xsd: Array("<xs:schema".utf8), name: "cut.xsd") }
    }

    /// An import whose file really exists and would make the schema compile: it fails, so nothing was loaded.
    @Test func importsAndIncludesLoadNothing() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let imported = try dir.write("types.xsd", """
            <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:x-test:types">
              <xs:simpleType name="Code"><xs:restriction base="xs:string"/></xs:simpleType>
            </xs:schema>
            """)
        func importing(_ location: String) -> String {
            """
            <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:x-test:types">
              <xs:import namespace="urn:x-test:types" schemaLocation="\(location)"/>
              <xs:element name="code" type="t:Code"/>
            </xs:schema>
            """
        }
        for location in [imported, "file://\(imported)", "http://127.0.0.1:9/types.xsd"] {
            #expect(throws: DiariumError.self, "xs:import of \(location)") {
                try SchemaValidator(xsd: Array(importing(location).utf8), name: "importing.xsd")
            }
        }
        let including = """
            <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
              <xs:include schemaLocation="\(try dir.write("part.xsd", "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"><xs:simpleType name=\"Code\"><xs:restriction base=\"xs:string\"/></xs:simpleType></xs:schema>"))"/>
              <xs:element name="code" type="Code"/>
            </xs:schema>
            """
        #expect(throws: DiariumError.self) { try SchemaValidator(xsd: Array(including.utf8), name: "including.xsd") }
        // Control: xmllint, allowed to read files, compiles the same import, so the refusal above is ours.
        let instance = try dir.write("code.xml", "<code>x</code>")
        let schemaFile = try dir.write("importing.xsd", importing(imported))
        #expect(try runTool("/usr/bin/xmllint", ["--noout", "--schema", schemaFile, instance]).contains("validates"))
    }

    /// One compiled schema, validated from many threads at once, gives every thread the same answers.
    @Test func compiledSchemaIsSharedAcrossThreads() throws {
        let schema = try validator()
        let results = ResultBox()
        DispatchQueue.concurrentPerform(iterations: 16) { index in
            let text = index.isMultiple(of: 2) ? validOrder : invalidOrder
            let outcome = (try? schema.validate(Array(text.utf8)).diagnostics.map(\.description)) ?? ["parse failed"]
            results.add(index, outcome)
        }
        let all = results.all
        #expect(all.count == 16)
        for (index, outcome) in all {
            #expect(outcome.count == (index.isMultiple(of: 2) ? 0 : 2), "thread \(index): \(outcome)")
        }
    }
}

private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int: [String]] = [:]

    func add(_ index: Int, _ value: [String]) {
        lock.lock(); defer { lock.unlock() }
        values[index] = value
    }

    var all: [Int: [String]] {
        lock.lock(); defer { lock.unlock() }
        return values
    }
}
