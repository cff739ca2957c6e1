#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
internal import CArchive
import DiariumCore

/// libarchive converts names through the C library's locale. Swift processes start in the "C" locale, where non-ASCII
/// names read back as NULL and writing them crashes (libarchive #2233, unfixed in 3.6.2). LC_CTYPE only, and only if
/// nobody chose a locale already.
let archiveLocaleSetup: Void = {
    let current = setlocale(LC_CTYPE, nil).map { String(cString: $0) } ?? "C"
    if current == "C" || current == "POSIX" {
        _ = setlocale(LC_CTYPE, "C.UTF-8")
    }
}()

/// Reads a zip or tar (optionally gzip, bzip2, xz or zstd compressed) archive entry by entry, without writing
/// anything anywhere. Not Sendable: keep it within one task.
///
/// Unless `refuseUnsafeEntries` is false, `nextEntry` throws on the first entry `ArchivePathPolicy` refuses or whose
/// name is not UTF-8, so a caller only ever sees plain files and directories with safe names. When it is false, a
/// name that is not UTF-8 comes through with U+FFFD in place of its undecodable bytes.
public final class ArchiveReader {
    public let path: String
    /// How messages name the archive (the original file name when `path` is an internal one).
    public let displayName: String
    public let limits: ArchiveLimits
    public let refusesUnsafeEntries: Bool
    /// Entries seen so far.
    public private(set) var entryCount = 0
    /// Decompressed bytes produced so far, over all entries.
    public private(set) var totalBytes: Int64 = 0

    /// Read size from the file: large, so a package import makes few system calls per megabyte.
    static let blockSize = 1 << 20
    /// Data comes out in chunks of up to this size: large, so the consumer writes (and hashes) in few calls.
    static let chunkSize = 1 << 20
    private let archive: OpaquePointer
    private let buffer: UnsafeMutableRawBufferPointer
    private var current: ArchiveEntry?
    private var currentBytes: Int64 = 0
    private var currentDone = true

    public init(
        path: String, displayName: String? = nil, limits: ArchiveLimits = ArchiveLimits(), refuseUnsafeEntries: Bool = true
    ) throws(DiariumError) {
        let displayName = displayName ?? path
        _ = archiveLocaleSetup
        guard let archive = archive_read_new() else { throw DiariumError(.storage, "cannot allocate an archive reader") }
        // Named formats and filters instead of the *_all calls, which add a dozen parsers of hostile input for formats
        // we do not accept (RAR, 7-Zip, ISO 9660, CAB, mtree, ...) and filters that run external programs (lrzip, grzip).
        archive_read_support_format_zip(archive)
        archive_read_support_format_tar(archive)
        archive_read_support_filter_gzip(archive)
        archive_read_support_filter_bzip2(archive)
        archive_read_support_filter_xz(archive)
        archive_read_support_filter_zstd(archive)
        if archive_read_open_filename(archive, path, Self.blockSize) != ARCHIVE_OK {
            let message = Self.message(archive)
            archive_read_free(archive)
            throw DiariumError(.unreadableFile, "cannot read archive \(displayName): \(message)")
        }
        self.archive = archive
        self.path = path
        self.displayName = displayName
        self.limits = limits
        self.refusesUnsafeEntries = refuseUnsafeEntries
        buffer = .allocate(byteCount: Self.chunkSize, alignment: 4096)
    }

    deinit {
        archive_read_free(archive)
        buffer.deallocate()
    }

    /// The next entry's header, or nil at the end. Data not read from the previous entry is skipped.
    public func nextEntry() throws(DiariumError) -> ArchiveEntry? {
        // Skipping inside a compressed stream still inflates everything; do it here so the limits count it.
        if current != nil, !currentDone, archive_filter_count(archive) > 1 {
            try readData { _ in }
        }
        current = nil
        var handle: OpaquePointer?
        let rc = archive_read_next_header(archive, &handle)
        if rc == ARCHIVE_EOF { return nil }
        guard rc >= ARCHIVE_WARN, let handle else {
            throw DiariumError(.unreadableFile, "cannot read archive \(displayName): \(Self.message(archive))")
        }
        entryCount += 1
        if entryCount > limits.maxEntries {
            throw .invalid("archive", "archive \(displayName) has more than \(limits.maxEntries) entries")
        }
        let entryPath: String
        if let name = archive_entry_pathname_utf8(handle) {
            entryPath = String(cString: name)
        } else if !refusesUnsafeEntries {
            // A legacy name (a zip entry in CP437 without the UTF-8 flag): read lossily, with U+FFFD for what is not
            // UTF-8. Such a name matches no name a caller looks for, and the entry's data still counts in the limits.
            entryPath = archive_entry_pathname(handle).map { String(cString: $0) } ?? ""
        } else {
            throw .invalid("archive", "archive entry \(entryCount) refused: its name cannot be read as UTF-8")
        }

        // Hardlink entries report file type 0, so look at the link first.
        let hardlink = archive_entry_hardlink_utf8(handle) ?? archive_entry_hardlink(handle)
        let symlink = archive_entry_symlink_utf8(handle) ?? archive_entry_symlink(handle)
        let mode = UInt32(archive_entry_filetype(handle)) & CA_IFMT
        let kind: ArchiveEntry.Kind
        if hardlink != nil {
            kind = .hardLink
        } else if mode == CA_IFLNK || symlink != nil {
            kind = .symbolicLink
        } else if mode == CA_IFREG {
            kind = .file
        } else if mode == CA_IFDIR {
            kind = .directory
        } else {
            kind = .other(mode: mode)
        }
        let entry = ArchiveEntry(
            path: entryPath,
            kind: kind,
            declaredSize: archive_entry_size_is_set(handle) != 0 ? archive_entry_size(handle) : nil,
            linkTarget: (hardlink ?? symlink).map { String(cString: $0) })
        if refusesUnsafeEntries { _ = try ArchivePathPolicy.check(entry) }
        current = entry
        currentBytes = 0
        currentDone = kind != .file
        return entry
    }

    /// Streams the current entry's decompressed data in chunks (valid only during the call). Throws once the entry
    /// grows past `limits.maxEntryBytes` or the archive past `limits.maxTotalBytes`, counting bytes actually produced.
    public func readData(_ consume: (UnsafeRawBufferPointer) throws(DiariumError) -> Void) throws(DiariumError) {
        try readData(maxBytes: limits.maxEntryBytes, consume)
    }

    /// The current entry's data in memory; throws once it grows past `maxBytes` (or the limits) when decompressed.
    public func readData(maxBytes: Int) throws(DiariumError) -> [UInt8] {
        var data: [UInt8] = []
        // Reserve what the header claims, within the cap: a lying header must not make us allocate.
        data.reserveCapacity(Int(min(current?.declaredSize ?? 0, Int64(maxBytes), 16 << 20)))
        try readData(maxBytes: Int64(maxBytes)) { chunk in data.append(contentsOf: chunk) }
        return data
    }

    /// Up to `count` bytes from the start of the current entry's decompressed data, for a look at its beginning;
    /// `nextEntry` skips the rest. Fewer when the entry is shorter or the limits leave less.
    public func readPrefix(_ count: Int) throws(DiariumError) -> [UInt8] {
        guard let entry = current else { throw DiariumError(.invalidState, "no current archive entry to read") }
        var data: [UInt8] = []
        while !currentDone && data.count < count {
            let room = max(0, min(Int64(count - data.count), limits.maxEntryBytes - currentBytes, limits.maxTotalBytes - totalBytes))
            guard room > 0 else { break }
            let n = try readChunk(Int(min(room, Int64(buffer.count))), of: entry)
            if n == 0 { currentDone = true; break }
            data.append(contentsOf: UnsafeRawBufferPointer(start: buffer.baseAddress, count: n))
        }
        return data
    }

    private func readData(maxBytes: Int64, _ consume: (UnsafeRawBufferPointer) throws(DiariumError) -> Void) throws(DiariumError) {
        guard let entry = current else { throw DiariumError(.invalidState, "no current archive entry to read") }
        guard !currentDone else { return }
        let cap = min(maxBytes, limits.maxEntryBytes)
        while true {
            // Never ask for more than one byte past a limit, so a bomb overshoots by at most one byte.
            let room = max(0, min(cap - currentBytes, limits.maxTotalBytes - totalBytes))
            let n = try readChunk(room < Int64(buffer.count) ? Int(room) + 1 : buffer.count, of: entry)
            if n == 0 { break }
            if currentBytes > cap {
                throw .invalid("archive",
                    "archive entry '\(ArchivePathPolicy.printable(entry.path))' is larger than \(cap) bytes when decompressed")
            }
            if totalBytes > limits.maxTotalBytes {
                throw .invalid("archive", "archive \(displayName) is larger than \(limits.maxTotalBytes) bytes when decompressed")
            }
            try consume(UnsafeRawBufferPointer(start: buffer.baseAddress, count: n))
        }
        currentDone = true
    }

    /// Up to `count` bytes of the current entry into `buffer`, counted; 0 at its end.
    private func readChunk(_ count: Int, of entry: ArchiveEntry) throws(DiariumError) -> Int {
        let n = archive_read_data(archive, buffer.baseAddress, count)
        guard n >= 0 else {
            currentDone = true
            throw DiariumError(.unreadableFile,
                "cannot read '\(ArchivePathPolicy.printable(entry.path))' in archive \(displayName): \(Self.message(archive))")
        }
        currentBytes += Int64(n)
        totalBytes += Int64(n)
        return n
    }

    private static func message(_ archive: OpaquePointer) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "error \(archive_errno(archive))"
    }
}
