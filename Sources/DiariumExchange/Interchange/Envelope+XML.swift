import DiariumCore
import DiariumXML
import Foundation

/// Everything wrong with an envelope that was refused, each naming where.
public struct EnvelopeProblems: Error, Sendable {
    public let diagnostics: [ExchangeDiagnostic]
}

extension Envelope {
    /// The compiled envelope schema, shared by every thread (validation contexts are per call).
    static let validator: SchemaValidator = {
        do {
            return try SchemaValidator(xsd: Array(EnvelopeSchema.text.utf8), name: EnvelopeSchema.fileName)
        } catch {
            // A constant of this module; EnvelopeTests compiles it, so this cannot ship broken.
            fatalError("the embedded envelope schema does not compile: \(error)")
        }
    }()

    // MARK: Writing

    /// The envelope as XML (UTF-8), valid against `envelope-1.xsd`.
    public func xml() -> [UInt8] {
        var writer = XMLWriter()
        writer.start("ex:interchange", ["xmlns:ex": Self.namespace, "version": "1"])
        writer.element("ex:sender", text: sender.rawValue)
        writer.element("ex:recipient", text: recipient.rawValue)
        writer.element("ex:controlReference", text: controlReference.rawValue)
        writer.element("ex:created", text: Timestamp.format(created))
        writer.element("ex:messageType", text: messageType.rawValue)
        if !references.isEmpty {
            writer.start("ex:references")
            for reference in references { writer.element("ex:reference", text: reference.rawValue) }
            writer.end()
        }
        switch content {
        case .payload(let payload):
            writer.empty("ex:payload", ["name": payload.name, "size": String(payload.size), "sha256": payload.sha256,
                                        "format": payload.format.rawValue])
        case .receipt(let receipt):
            writer.start("ex:receipt", ["status": receipt.status.rawValue, "payloadSha256": receipt.payloadSHA256])
            for link in receipt.assigned {
                writer.empty("ex:assigned", ["senderNumber": link.senderNumber, "receiverNumber": link.receiverNumber])
            }
            for diagnostic in receipt.diagnostics {
                writer.element("ex:diagnostic", [
                    "code": diagnostic.code, "element": diagnostic.element, "file": diagnostic.file,
                    "segment": diagnostic.segment, "line": diagnostic.line.map(String.init),
                    "column": diagnostic.column.map(String.init),
                ], text: diagnostic.message)
            }
            writer.end()
        }
        writer.end()
        return writer.bytes
    }

    // MARK: Reading

    /// Reads an envelope: refuses a DOCTYPE, validates against `envelope-1.xsd`, then maps it. Throws
    /// `.invalidField` naming the first problem's element and line (and how many more there are).
    public static func read(_ bytes: [UInt8], source: String = "envelope.xml") throws(DiariumError) -> Envelope {
        switch check(bytes, source: source) {
        case .success(let envelope):
            return envelope
        case .failure(let problems):
            let first = problems.diagnostics[0]
            let more = problems.diagnostics.count > 1 ? " (and \(problems.diagnostics.count - 1) more)" : ""
            throw DiariumError(.invalidField, "invalid envelope \(source): \(first)\(more)", field: first.element ?? "envelope")
        }
    }

    /// Like `read`, but returns every problem, for a receipt that lists them all.
    public static func check(_ bytes: [UInt8], source: String = "envelope.xml") -> Result<Envelope, EnvelopeProblems> {
        var reader = EnvelopeReader(source: source)
        if let envelope = reader.read(bytes) { return .success(envelope) }
        return .failure(EnvelopeProblems(diagnostics: reader.diagnostics))
    }
}

/// Maps a validated envelope tree to the model, collecting element-naming diagnostics.
private struct EnvelopeReader {
    let source: String
    var diagnostics: [ExchangeDiagnostic] = []

    init(source: String) {
        self.source = source
    }

    mutating func problem(_ code: String, _ message: String, element: String, line: Int? = nil, column: Int? = nil) {
        // Cannot throw: an element is always named.
        if let diagnostic = try? ExchangeDiagnostic(code: code, message: message, element: element, file: source, line: line, column: column) {
            diagnostics.append(diagnostic)
        }
    }

    mutating func read(_ bytes: [UInt8]) -> Envelope? {
        guard bytes.count <= Envelope.maxBytes else {
            problem(DiariumError.Code.invalidField.rawValue,
                    "the envelope is \(bytes.count) bytes, more than the limit of \(Envelope.maxBytes)", element: "/")
            return nil
        }
        let document: MarkupDocument
        let schemaProblems: [SchemaDiagnostic]
        do {
            (document, schemaProblems) = try Envelope.validator.validate(bytes, options: XMLParseOptions(rejectDoctype: true, maxInputBytes: Envelope.maxBytes))
        } catch {
            problem(error.code.rawValue, error.message, element: "/")
            return nil
        }
        for item in schemaProblems where item.severity != .warning {
            var element = item.path ?? item.element ?? "/"
            if let attribute = item.attribute { element += "/@\(attribute)" }
            problem("schema", item.message, element: element, line: item.line, column: item.column)
        }
        guard diagnostics.isEmpty, let root = document.elementTree() else {
            if diagnostics.isEmpty { problem("schema", "the envelope has no root element", element: "/") }
            return nil
        }
        return map(root)
    }

    /// The schema has already checked presence, order and lexical forms; what remains are the rules XSD 1.0 cannot
    /// say (message type against content, receipt rules, one party on both ends).
    mutating func map(_ root: MarkupElement) -> Envelope? {
        let ns = Envelope.namespace
        func text(_ name: String) -> (String, Int) {
            let element = root.child(name, namespace: ns)
            return (element?.trimmedText ?? "", element?.line ?? root.line)
        }
        do throws(DiariumError) {
            let sender = try PartyID(parsing: text("sender").0, field: "/interchange/sender")
            let recipient = try PartyID(parsing: text("recipient").0, field: "/interchange/recipient")
            let controlReference = try ControlReference(parsing: text("controlReference").0, field: "/interchange/controlReference")
            let (createdText, createdLine) = text("created")
            guard let created = Timestamp.parse(createdText) else {
                problem("invalid-field", "'\(createdText)' is not a UTC time like 2026-03-01T09:00:00.000Z",
                        element: "/interchange/created", line: createdLine)
                return nil
            }
            let (typeText, typeLine) = text("messageType")
            guard let messageType = InterchangeMessageType(rawValue: typeText) else {
                problem("invalid-field", "unknown message type '\(typeText)'", element: "/interchange/messageType", line: typeLine)
                return nil
            }
            let references = try (root.child("references", namespace: ns)?.children("reference", namespace: ns) ?? []).map {
                reference throws(DiariumError) in
                try ControlReference(parsing: reference.trimmedText ?? "", field: "/interchange/references/reference")
            }
            let content: Envelope.Content
            if let payload = root.child("payload", namespace: ns) {
                content = .payload(try mapPayload(payload))
            } else if let receipt = root.child("receipt", namespace: ns) {
                content = .receipt(try mapReceipt(receipt))
            } else {
                problem("schema", "the envelope has neither a payload nor a receipt", element: "/interchange", line: root.line)
                return nil
            }
            do {
                return try Envelope(sender: sender, recipient: recipient, controlReference: controlReference, created: created,
                                    messageType: messageType, references: references, content: content)
            } catch {
                let name = error.field.map { "/interchange/\($0)" } ?? "/interchange"
                problem(error.code.rawValue, error.message, element: name,
                        line: error.field.flatMap { root.child($0, namespace: ns)?.line } ?? typeLine)
                return nil
            }
        } catch {
            problem(error.code.rawValue, error.message, element: error.field ?? "/interchange", line: root.line)
            return nil
        }
    }

    func mapPayload(_ element: MarkupElement) throws(DiariumError) -> PayloadDescriptor {
        let path = "/interchange/payload"
        guard let sizeText = element.attribute("size"), let size = Int64(sizeText) else {
            throw .invalid("\(path)/@size", "payload size '\(element.attribute("size") ?? "")' is not a number of bytes")
        }
        guard let format = PayloadFormat(rawValue: element.attribute("format") ?? "") else {
            throw .invalid("\(path)/@format", "unknown payload format '\(element.attribute("format") ?? "")'")
        }
        do {
            return try PayloadDescriptor(name: element.attribute("name") ?? "", size: size, sha256: element.attribute("sha256") ?? "",
                                         format: format)
        } catch {
            throw .invalid(path, error.message)
        }
    }

    func mapReceipt(_ element: MarkupElement) throws(DiariumError) -> Receipt {
        let ns = Envelope.namespace
        let path = "/interchange/receipt"
        guard let status = ReceiptStatus(rawValue: element.attribute("status") ?? "") else {
            throw .invalid("\(path)/@status", "unknown receipt status '\(element.attribute("status") ?? "")'")
        }
        let assigned = element.children("assigned", namespace: ns).map {
            NumberLink(senderNumber: $0.attribute("senderNumber") ?? "", receiverNumber: $0.attribute("receiverNumber") ?? "")
        }
        var diagnostics: [ExchangeDiagnostic] = []
        for (index, item) in element.children("diagnostic", namespace: ns).enumerated() {
            do {
                diagnostics.append(try ExchangeDiagnostic(
                    code: item.attribute("code") ?? "", message: item.text.trimmingCharacters(in: .whitespaces),
                    element: item.attribute("element"), file: item.attribute("file"), segment: item.attribute("segment"),
                    line: item.attribute("line").flatMap { Int($0) }, column: item.attribute("column").flatMap { Int($0) }))
            } catch {
                throw .invalid("\(path)/diagnostic[\(index + 1)]", error.message)
            }
        }
        do {
            return try Receipt(status: status, payloadSHA256: element.attribute("payloadSha256"), assigned: assigned,
                               diagnostics: diagnostics)
        } catch {
            throw .invalid(path, error.message)
        }
    }
}
