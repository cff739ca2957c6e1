import Foundation

/// The source of "now", passed in so tests can pin time and year boundaries.
public protocol Clock: Sendable {
    func now() -> Date
}

public struct SystemClock: Clock {
    public init() {}
    public func now() -> Date { Date() }
}

/// Timestamps as stored and printed: ISO 8601, UTC, milliseconds (`2026-11-25T12:34:56.789Z`).
public enum Timestamp {
    static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    public static func format(_ date: Date) -> String { style.format(date) }

    public static func parse(_ text: String) -> Date? { try? style.parse(text) }

    /// The calendar year of a moment in Swedish local time: a case opened on New Year's Eve at 23:30 UTC is
    /// registered in the next year in Sweden.
    public static func swedishYear(of date: Date) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Stockholm") ?? .gmt
        return calendar.component(.year, from: date)
    }

    /// Today's date in Swedish local time.
    public static func swedishDate(of date: Date) -> CalendarDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Stockholm") ?? .gmt
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return CalendarDate(year: c.year!, month: c.month!, day: c.day!)!
    }
}
