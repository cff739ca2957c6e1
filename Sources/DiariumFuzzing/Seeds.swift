import DiariumCore
import DiariumExchange
import DiariumHTTP
import Foundation
import NIOCore

/// Valid inputs the targets start from: written by Diarium's own writers where it has one, otherwise files
/// under `Tests/DiariumFuzzingTests/Seeds/<name>/` (an exported package's METS and ERMS, small office files).
enum Seeds {
    static func files(_ name: String) -> [[UInt8]] { FuzzTargets.files(in: "Seeds/" + name).map(\.bytes) }

    private static func time(_ iso: String) -> Date { Timestamp.parse(iso)! }

    static func edifact() -> [[UInt8]] {
        do {
            let caseNumber = try CaseNumber(parsing: "KS 2026/14")
            let plan = TransferredDocument(
                number: DocumentNumber(caseNumber: caseNumber, ordinal: 1),
                metadata: DocumentMetadata(
                    title: "Handlingsplan för förskolan Ängen: 'ja' + nej?", publicTitle: "Handlingsplan", recordType: .actionPlan,
                    direction: .incoming, documentDate: CalendarDate(year: 2026, month: 3, day: 1), sender: "Anna Andersson",
                    recipient: "Miljöförvaltningen", classification: "2.4",
                    restriction: try AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §",
                                                       until: CalendarDate(year: 2030, month: 12, day: 31), hides: [.content, .parties])),
                status: .final, registeredAt: time("2026-03-01T08:30:00.000Z"),
                file: TransferredFile(path: "representations/rep1/data/KS-2026-14/KS-2026-14-1-v1.pdf", originalName: "Plan: Ängen+Ö.pdf",
                                      mediaType: "application/pdf", size: 300_000, sha256: String(repeating: "0f", count: 32)))
            let decision = TransferredDocument(
                number: DocumentNumber(caseNumber: caseNumber, ordinal: 2),
                metadata: DocumentMetadata(title: "Beslut", recordType: .decision),
                status: .draft, registeredAt: time("2026-03-02T10:00:00.000Z"), file: nil)
            let transfer = try TransferredRecords(
                messageType: .caseTransfer,
                caseFile: TransferredCase(number: caseNumber, title: "Bygglov för förskola?", publicTitle: nil, classification: "2.4"),
                documents: [plan, decision])
            let interchange = EDIFACTTransfer(
                sender: PartyID(rawValue: "sundsvall-ks")!, recipient: PartyID(rawValue: "timra.bun")!,
                controlReference: ControlReference(rawValue: "01JQ7Z8K4M2P9X")!, created: time("2026-03-01T09:00:00.000Z"),
                references: [ControlReference(rawValue: "01JQ0000000001")!], transfer: transfer)
            return [try interchange.edifact(), try interchange.edifact(serviceStringAdvice: false)]
        } catch {
            fatalError("the EDIFACT seed cannot be written: \(error)")
        }
    }

    static func envelopes() -> [[UInt8]] {
        do {
            let sender = PartyID(rawValue: "sundsvall-ks")!
            let envelope = try Envelope(
                sender: sender, recipient: PartyID(rawValue: "timra.bun")!, controlReference: ControlReference(rawValue: "01JQ7Z8K4M2P9X")!,
                created: time("2026-03-01T09:00:00.123Z"), messageType: .caseTransfer, references: [ControlReference(rawValue: "01JQ0000000001")!],
                content: .payload(try PayloadDescriptor(name: "KS 2026-14 & bilagor.zip", size: 123_456, sha256: String(repeating: "ab", count: 32),
                                                        format: .earkSIP)))
            let accepted = try Receipt(status: .accepted, payloadSHA256: String(repeating: "ab", count: 32),
                                       assigned: [NumberLink(senderNumber: "KS 2026/14", receiverNumber: "BUN 2026/3")])
            let rejected = try Receipt(status: .rejected, payloadSHA256: String(repeating: "ab", count: 32),
                                       diagnostics: [ExchangeDiagnostic(code: "schema", message: "'x' < 'y'", element: "/erms/record[2]",
                                                                        file: "metadata/descriptive/ERMS.xml", line: 41, column: 7)])
            let answers = try [accepted, rejected].enumerated().map { index, receipt in
                try envelope.answer(with: receipt, controlReference: ControlReference(rawValue: "R\(index)")!,
                                    created: time("2026-03-01T09:00:05.000Z"))
            }
            return [envelope.xml()] + answers.map { $0.xml() }
        } catch {
            fatalError("the envelope seed cannot be written: \(error)")
        }
    }

    static func multipart() -> [[UInt8]] {
        let body = "\r\n--fuzzB\r\nContent-Disposition: form-data; name=\"metadata\"\r\nContent-Type: application/json\r\n\r\n"
            + "{\"case\":\"KS 2026/14\",\"title\":\"Plan\",\"recordType\":\"actionPlan\"}"
            + "\r\n--fuzzB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"plan.txt\"; filename*=UTF-8''pl%C3%A5n.txt\r\n"
            + "Content-Type: text/plain\r\n\r\nFår vi åka?\r\n--fuzz\r\n--fuzzB--\r\n"
        // The first byte chooses the chunk size.
        return [[7] + Array(body.utf8), [0] + Array(body.utf8)]
    }
}
