import DiariumCore
import DiariumTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import DiariumHTTP

/// The OpenAPI document: the checked-in copy is what the server serves, it describes exactly the routes the router
/// answers, and an external judge finds it valid OpenAPI 3.1. (Whether the server keeps its promises is for
/// schemathesis: `scripts/schemathesis.sh`, run by `scripts/test.sh`.)
@Suite struct OpenAPITests {
    static let checkedIn = "\(SharedMaterial.packageRoot)/Schemas/openapi.json"

    func served() async throws -> Data {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        return try await f.application().test(.router) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                return Data(response.body.readableBytesView)
            }
        }
    }

    /// `DIARIUM_WRITE_OPENAPI=1 swift test --filter OpenAPITests` rewrites the checked-in copy.
    @Test func checkedInCopyIsWhatTheServerServes() async throws {
        let served = try await served()
        if ProcessInfo.processInfo.environment["DIARIUM_WRITE_OPENAPI"] == "1" {
            try served.write(to: URL(fileURLWithPath: Self.checkedIn))
        }
        let file = try Data(contentsOf: URL(fileURLWithPath: Self.checkedIn))
        #expect(file == served, "Schemas/openapi.json differs from the served document: run DIARIUM_WRITE_OPENAPI=1 swift test --filter OpenAPITests")
    }

    @Test func documentsExactlyTheRoutesTheRouterAnswers() async throws {
        let document = try #require(try JSONSerialization.jsonObject(with: try await served()) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let documented = paths.mapValues { Set($0.keys.map { $0.uppercased() }) }

        var answered: [String: Set<String>] = [:]
        for path in ["/health", "/metrics", "/openapi.json"] + PublicRoutes.paths + PublicPages.paths { answered[path] = ["GET"] }
        for (path, methods) in APIRoutes.routes + ExchangeRoutes.routes { answered[path] = Set(methods.map(\.rawValue)) }
        #expect(documented == answered)

        // Every path parameter of a template is declared on each of its operations, and nothing else is.
        let parameters = try #require((document["components"] as? [String: Any])?["parameters"] as? [String: [String: Any]])
        for (path, item) in paths {
            let names = Set(path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) })
            for (method, operation) in item {
                let declared = try ((operation as? [String: Any])?["parameters"] as? [[String: Any]] ?? []).map { parameter in
                    if let ref = parameter["$ref"] as? String {
                        return try #require(parameters[String(ref.split(separator: "/").last!)])
                    }
                    return parameter
                }
                let pathNames = Set(declared.filter { $0["in"] as? String == "path" }.compactMap { $0["name"] as? String })
                #expect(pathNames == names, "\(method.uppercased()) \(path)")
            }
        }
    }

    /// What schemathesis probes: every method a path does not answer (TRACE, OPTIONS and QUERY too) is a 405 naming
    /// the ones it does, whoever asks.
    @Test func undocumentedMethodsAre405WithAllow() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        try await f.application().test(.router) { client in
            for (path, method, allow) in [("/health", HTTPRequest.Method.trace, "GET, HEAD"), ("/public/v1/search", .options, "GET, HEAD"),
                                          ("/api/v1/me", HTTPRequest.Method("QUERY")!, "GET, HEAD"), ("/api/v1/verify", .get, "POST"),
                                          ("/api/v1/series", .delete, "GET, HEAD, POST"), ("/api/v1/me", .connect, "GET, HEAD")] {
                try await client.execute(uri: path, method: method) { response in
                    try expectProblem(response, .methodNotAllowed, code: "method-not-allowed")
                    #expect(response.headers[.allow] == allow, "\(method) \(path)")
                }
            }
        }
    }

    /// The document types `from`, `limit`, `series` … so `?limit=` is not a value of the type: a 400, not the default.
    @Test func typedQueryParametersRefuseAnEmptyValue() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        try await f.application().test(.router) { client in
            for (query, field) in [("to=", "to"), ("limit=", "limit"), ("series=", "series")] {
                try await client.execute(uri: "/public/v1/diarium?\(query)", method: .get) { response in
                    try expectProblem(response, .badRequest, code: "invalid-field", field: field)
                }
            }
            // An untyped parameter given empty is absent: the first page.
            try await client.execute(uri: "/public/v1/diarium?after=", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }

    /// As documented: a registration body that is neither multipart nor JSON is a 415, like every JSON body.
    @Test func registrationOfAnotherMediaTypeIs415() async throws {
        let f = try PublicFixture()
        defer { f.dir.remove() }
        _ = try f.service.addUser(name: "clerk", role: .clerk, departments: [Department(parsing: "KS")], actor: "admin")
        let token = try f.service.createToken(user: "clerk", label: nil, actor: "admin").token
        try await f.application().test(.router) { client in
            try await client.execute(uri: "/api/v1/documents", method: .post,
                                     headers: [.authorization: "Bearer \(token)", .contentType: "text/plain"],
                                     body: ByteBuffer(string: "text")) { response in
                try expectProblem(response, .unsupportedMediaType, code: "unsupported-media-type", field: "Content-Type")
            }
        }
    }

    /// What the schema says no line may hold is what `TextRules` refuses in one, character for character: a value
    /// the schema calls valid must not be refused (and the reverse), or schemathesis finds the difference.
    @Test func aLinesForbiddenCharactersAreTextRulessOwn() throws {
        let pattern = try NSRegularExpression(pattern: "^[^\(OpenAPIDocument.control)]*$")
        let scalars: [UInt32] = [0x0, 0x9, 0xA, 0x1F, 0x20, 0x41, 0x7E, 0x7F, 0x85, 0x9F, 0xA0, 0xE5, 0x200B, 0x200F, 0x2028, 0x2029,
                                 0x202A, 0x202E, 0x202F, 0x2065, 0x2066, 0x2069, 0x206A, 0xE000, 0xFDD0,
                                 0xFFFD, 0xFFFE, 0xFFFF, 0x1F600, 0x10FFFF]
        for value in scalars {
            let text = "a" + String(Character(Unicode.Scalar(value)!)) + "b"
            let schemaAllows = pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
            let serverAllows = (try? TextRules.checkLine(text, field: "title")) != nil
            #expect(schemaAllows == serverAllows, "U+\(String(value, radix: 16)): schema \(schemaAllows), server \(serverAllows)")
        }
    }

    /// And what it says a required line must hold besides: a character that shows. A value of spaces and characters
    /// drawn as nothing is refused by both; one visible character anywhere is enough for both.
    @Test func aLineNeedsAVisibleCharacterAsTextRulesSays() throws {
        let text = try #require(OpenAPIDocument.line(1000)["pattern"] as? String)
        // ECMA-262 without the u flag (what JSON Schema tools may compile it as) reads a character above the BMP as two
        // halves, which in a class make a range out of order: the pattern names none.
        #expect(text.unicodeScalars.allSatisfy { $0.value <= 0xFFFF })
        let pattern = try NSRegularExpression(pattern: text)
        let scalars: [UInt32] = [0x20, 0x41, 0xA0, 0xAD, 0x301, 0x34F, 0x61C, 0x115F, 0x180E, 0x200B, 0x200E, 0x2028, 0x2029, 0x2060, 0x2064, 0x2065,
                                 0x3000, 0x3164, 0xE000, 0xFE0F, 0xFEFF, 0xFFA0, 0xFFF0, 0xFFFD, 0x1BCA0, 0x1D173, 0x1F600,
                                 0xE0001, 0xE0041, 0xE0100, 0xE0FFF, 0xF0000]
        for value in scalars {
            let invisible = "\u{200E}\u{2060} "
            for text in [String(Character(Unicode.Scalar(value)!)), invisible + String(Character(Unicode.Scalar(value)!)) + invisible] {
                let schemaAllows = pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
                // What `line` stores, not only what `checkLine` passes: a value that passes must still show once trimmed.
                let stored = try? TextRules.line(text, field: "title")
                let serverAllows = stored != nil
                #expect(stored.map { $0.unicodeScalars.contains(where: TextRules.isVisible) } ?? true, "U+\(String(value, radix: 16)) stored as nothing")
                #expect(schemaAllows == serverAllows, "U+\(String(value, radix: 16)): schema \(schemaAllows), server \(serverAllows)")
                #expect(serverAllows == TextRules.isVisible(Unicode.Scalar(value)!))
            }
        }
    }

    /// OpenAPI 3.1 §4.8.10: an operation's parameters are unique by name and location (a reference resolved).
    @Test func noOperationListsAParameterTwice() async throws {
        let document = try #require(try JSONSerialization.jsonObject(with: try await served()) as? [String: Any])
        let components = (document["components"] as? [String: Any])?["parameters"] as? [String: Any] ?? [:]
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var checked = 0
        for (path, item) in paths {
            for (method, operation) in item {
                guard let parameters = (operation as? [String: Any])?["parameters"] as? [[String: Any]] else { continue }
                let keys = parameters.map { parameter -> String in
                    let resolved = (parameter["$ref"] as? String).flatMap { components[String($0.split(separator: "/").last!)] as? [String: Any] } ?? parameter
                    return "\(resolved["in"] ?? "?") \(resolved["name"] ?? "?")"
                }
                #expect(Set(keys).count == keys.count, "\(method.uppercased()) \(path): \(keys)")
                checked += 1
            }
        }
        #expect(checked > 50)
    }

    @Test func everyReferenceResolves() async throws {
        let document = try #require(try JSONSerialization.jsonObject(with: try await served()) as? [String: Any])
        var references: [String] = []
        func walk(_ value: Any) {
            if let object = value as? [String: Any] {
                if let ref = object["$ref"] as? String { references.append(ref) }
                object.values.forEach(walk)
            } else if let array = value as? [Any] {
                array.forEach(walk)
            }
        }
        walk(document)
        #expect(!references.isEmpty)
        for reference in Set(references) {
            var target: Any? = document
            for key in reference.dropFirst(2).split(separator: "/") { target = (target as? [String: Any])?[String(key)] }
            #expect(target is [String: Any], "\(reference) does not resolve")
        }
    }

    /// The OpenAPI 3.1 schema (as schemathesis bundles it) for the document, and the JSON Schema 2020-12 meta-schema
    /// for each of its schemas, both through jsonschema_rs in the validators' venv.
    @Test(.enabled(if: SharedMaterial.validatorsVenv != nil, "needs scripts/setup-validators.sh"))
    func isValidOpenAPI31() async throws {
        let venv = try #require(SharedMaterial.validatorsVenv)
        let dir = try TempDirectory("diarium-openapi")
        defer { dir.remove() }
        let file = try dir.write("openapi.json", try await served())
        let program = """
            import json, sys
            import jsonschema_rs
            from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR
            document = json.load(open(sys.argv[1]))
            errors = [f"{list(error.instance_path)}: {error.message}" for error in OPENAPI_31_VALIDATOR.iter_errors(document)]
            def schemas(value, path):
                if isinstance(value, dict):
                    for key, item in value.items():
                        if key == "schema" and isinstance(item, dict):
                            yield path + [key], item
                        yield from schemas(item, path + [key])
                elif isinstance(value, list):
                    for index, item in enumerate(value):
                        yield from schemas(item, path + [index])
            found = list(schemas(document, [])) + [(["components", "schemas", name], schema) for name, schema in document["components"]["schemas"].items()]
            for path, schema in found:
                try:
                    jsonschema_rs.meta.validate(schema)
                except jsonschema_rs.ValidationError as error:
                    errors.append(f"{path}: {error.message}")
            print(f"{len(found)} schemas checked")
            for error in errors:
                print(error)
            sys.exit(1 if errors else 0)
            """
        let output = try runTool("\(venv)/bin/python", ["-c", program, file])
        #expect(output.contains("schemas checked"))
    }
}
