import DiariumCore
import Foundation
import Testing

@Suite struct IdentifierTests {
    @Test func parsesAndPrintsCaseNumbers() throws {
        let number = try CaseNumber(parsing: "KS 2026/14")
        #expect(number.series.rawValue == "KS")
        #expect(number.year == 2026)
        #expect(number.serial == 14)
        #expect(number.description == "KS 2026/14")
    }

    @Test func parsesDocumentNumbers() throws {
        let number = try DocumentNumber(parsing: "BUN2 2025/7-12")
        #expect(number.caseNumber == CaseNumber(series: SeriesCode(rawValue: "BUN2")!, year: 2025, serial: 7))
        #expect(number.ordinal == 12)
        #expect(number.description == "BUN2 2025/7-12")
    }

    @Test(arguments: ["", "KS", "KS 2026", "KS 2026/", "KS2026/14", "ks 2026/14", "KS 26/14", "KS 2026/0",
                      "KS 2026/014", "KS 2026/-1", "KS  2026/14", " KS 2026/14", "KS 2026/14 ", "KS 2026/1x",
                      "KS 2026/99999999999"])
    func rejectsMalformedCaseNumbers(text: String) {
        #expect(throws: DiariumError.self) { try CaseNumber(parsing: text) }
        do { _ = try CaseNumber(parsing: text) } catch {
            #expect(error.code == .invalidNumber)
            #expect(error.message.contains("KS 2026/14"), "the message shows the expected form")
        }
    }

    @Test(arguments: ["KS 2026/14", "KS 2026/14-", "KS 2026/14-0", "KS 2026/14-01", "KS 2026/14-3-4", "-3"])
    func rejectsMalformedDocumentNumbers(text: String) {
        #expect(throws: DiariumError.self) { try DocumentNumber(parsing: text) }
    }

    /// A number whose only fault is a lower-case series says so, with the spelling to use; others do not.
    @Test func aLowerCaseSeriesIsNamed() {
        for (text, parse) in [("ks 2026/14", { (t: String) throws(DiariumError) in _ = try CaseNumber(parsing: t) }),
                              ("Ks 2026/14-3", { (t: String) throws(DiariumError) in _ = try DocumentNumber(parsing: t) })] {
            do throws(DiariumError) { try parse(text); Issue.record("\(text) parsed") } catch {
                #expect(error.message.hasSuffix("; series codes are upper case: \(SeriesCode.uppercasingSeries(of: text))"), "\(error.message)")
            }
        }
        do throws(DiariumError) { _ = try DocumentNumber(parsing: "ks 2026/14-x"); Issue.record("ks 2026/14-x parsed") } catch {
            #expect(!error.message.contains("upper case"), "\(error.message)")
        }
        // A case's number given for a document's is named as such.
        do throws(DiariumError) { _ = try DocumentNumber(parsing: "KS 2026/14"); Issue.record("KS 2026/14 parsed as a document") } catch {
            #expect(error.message.hasSuffix("'KS 2026/14' is a case's number: its documents are numbered -1, -2, …"), "\(error.message)")
        }
        #expect(SeriesCode.correctedNumber("ks 2026/14-3") == "KS 2026/14-3" && SeriesCode.correctedNumber("bun 2026/1") == "BUN 2026/1")
        #expect(SeriesCode.correctedNumber("KS 2026/14") == nil && SeriesCode.correctedNumber("user:anna") == nil
                && SeriesCode.correctedNumber("uuid-1 2") == nil)
    }

    @Test func seriesCodes() {
        #expect(SeriesCode(rawValue: "KS") != nil)
        #expect(SeriesCode(rawValue: "SBN2026") != nil)
        #expect(SeriesCode(rawValue: "ks") == nil)
        #expect(SeriesCode(rawValue: "2KS") == nil)
        #expect(SeriesCode(rawValue: "K S") == nil)
        #expect(SeriesCode(rawValue: "ÅS") == nil)
        #expect(SeriesCode(rawValue: "ABCDEFGHIJKLM") == nil)
    }

    @Test func numbersRoundTripThroughJSON() throws {
        let number = try DocumentNumber(parsing: "KS 2026/14-3")
        let data = try JSONEncoder().encode([number])
        #expect(String(decoding: data, as: UTF8.self) == #"["KS 2026\/14-3"]"#)
        #expect(try JSONDecoder().decode([DocumentNumber].self, from: data) == [number])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([DocumentNumber].self, from: Data(#"["KS 2026/14"]"#.utf8)) }
    }

    @Test func numbersOrderNumerically() throws {
        let a = try DocumentNumber(parsing: "KS 2026/2-10")
        let b = try DocumentNumber(parsing: "KS 2026/10-1")
        let c = try DocumentNumber(parsing: "KS 2026/2-9")
        #expect([a, b, c].sorted() == [c, a, b])
    }
}

@Suite struct CalendarDateTests {
    @Test func parsesValidDates() throws {
        #expect(try CalendarDate(parsing: "2024-02-29", field: "date").description == "2024-02-29")
        #expect(try CalendarDate(parsing: "2026-12-31", field: "date") > CalendarDate(parsing: "2026-01-01", field: "date"))
    }

    @Test(arguments: ["2026-02-29", "2026-13-01", "2026-1-01", "26-01-01", "2026/01/01", "2026-01-32", "", "abcd-ef-gh"])
    func rejectsInvalidDates(text: String) {
        do {
            _ = try CalendarDate(parsing: text, field: "date")
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.field == "date")
        }
    }
}
