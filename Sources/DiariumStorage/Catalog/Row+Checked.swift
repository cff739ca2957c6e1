import DiariumCore
import Foundation
import GRDB

/// Every column the catalog reads goes through these instead of GRDB's row subscripts. A subscript traps on a NULL
/// or a value of the wrong type (a catalog damaged or edited by hand), and its message prints the whole row to the
/// log, restricted titles and parties included. These throw an integrity error that names the column only.
/// (Through `DatabaseValue` on purpose: GRDB's faster column path turns text in an INTEGER column into 0 on a
/// cursor's row, instead of failing.)
extension Row {
    /// The value of a named column; `T?` for a column that may be NULL.
    @inline(__always)
    func value<T: DatabaseValueConvertible>(_ column: String) throws(DiariumError) -> T {
        do {
            return try decode(T.self, forColumn: column)
        } catch {
            throw Self.damaged(column)
        }
    }

    /// The value at a position of the select list; the error names the column the statement gave it.
    ///
    /// Converted here, where `T` is known, from the column's `DatabaseValue`: GRDB's `decode(_:atIndex:)` goes on in
    /// generic code that is not specialized for the caller's type, and looked up type metadata at run time for every
    /// column read (a tenth of the CPU of listing 50 entries of the public diarium).
    @inline(__always)
    func value<T: DatabaseValueConvertible & CatalogColumnValue>(at index: Int) throws(DiariumError) -> T {
        guard let value = T.fromDatabaseValue(self[self.index(startIndex, offsetBy: index)].1) else {
            throw Self.damaged(name(at: index))
        }
        return value
    }

    /// The value at a position of the select list, nil for NULL: as `value(at:)`, not through GRDB's generic
    /// `Optional` conversion (which looked type metadata up at run time for every column read).
    @inline(__always)
    func optionalValue<T: DatabaseValueConvertible & CatalogColumnValue>(at index: Int) throws(DiariumError) -> T? {
        let value = self[self.index(startIndex, offsetBy: index)].1
        if value.isNull { return nil }
        guard let converted = T.fromDatabaseValue(value) else { throw Self.damaged(name(at: index)) }
        return converted
    }

    private func name(at index: Int) -> String {
        let names = Array(columnNames)
        return names.indices.contains(index) ? names[index] : "#\(index)"
    }

    static func damaged(_ column: String) -> DiariumError {
        DiariumError(.integrity, "the catalog holds an invalid value in column \(column) (run `diarium verify`)")
    }
}

/// What the catalog's columns are read as by position. Not `Optional`: a column that may be NULL is read with
/// `optionalValue(at:)`, converted in Diarium's code too, so that no read falls back to GRDB's generic `Optional`
/// conversion by accident of type inference.
protocol CatalogColumnValue {}
extension String: CatalogColumnValue {}
extension Int: CatalogColumnValue {}
extension Int64: CatalogColumnValue {}
extension Bool: CatalogColumnValue {}
extension Double: CatalogColumnValue {}
extension Data: CatalogColumnValue {}
