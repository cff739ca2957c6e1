/// Just enough of a Microsoft compound file ([MS-CFB], "OLE2": Word, Excel and PowerPoint 97–2003) to find a stream
/// at its root and read the start of it, as DROID's container signatures do. Read-only and bounded by the file: the
/// FAT is read only as far as the file has sectors (4 bytes each), the mini FAT and directory entries only where a
/// chain or the walk of the root's children reaches them (at most `maxRootEntries`), and every chain is followed at
/// most as many steps as there are sectors.
struct CompoundFile {
    struct Entry {
        let name: String
        /// 1 storage, 2 stream, 5 root.
        let type: UInt8
        var isStream: Bool { type == 2 }
        let start: UInt32
        let size: UInt64
        let left: UInt32, right: UInt32, child: UInt32
    }

    private let file: InputFile
    private let sectorShift: Int
    private let sectorCount: Int
    private let fat: [UInt32]
    /// The sectors holding the mini FAT, whose entries are read when a chain needs them.
    private let miniFATSectors: [UInt32]
    private let directory: [UInt32]
    private let root: Entry
    /// The streams at the root that signatures look for, by name (`wanted`).
    private let streams: [String: Entry]

    static let wanted: Set<String> = ["WordDocument", "CompObj", "Workbook", "Book", "PowerPoint Document"]
    /// A root with more children than this is not an Office document: not walked further.
    static let maxRootEntries = 65_536

    static let signature: [UInt8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]
    static let endOfChain: UInt32 = 0xFFFF_FFFE
    static let noStream: UInt32 = 0xFFFF_FFFF
    /// Streams under this size live in the mini stream. The header repeats it; [MS-CFB] fixes it, as readers do.
    static let miniCutoff: UInt64 = 4096
    static let miniShift = 6

    init?(_ file: InputFile) {
        guard let header = try? file.read(at: 0, count: 512), header.count == 512, FormatIdentifier.starts(header, Self.signature),
              header[0x1C] == 0xFE, header[0x1D] == 0xFF else { return nil }
        let shift = Self.u16(header, 0x1E)
        guard shift == 9 || shift == 12, Self.u16(header, 0x20) == Self.miniShift else { return nil }
        self.file = file
        sectorShift = shift
        let sectorSize = 1 << shift
        let sectors = Int((file.size + Int64(sectorSize) - 1) >> Int64(shift))
        sectorCount = sectors
        func readSector(_ n: UInt32) -> [UInt8]? {
            guard Int(n) < sectors, let bytes = try? file.read(at: (Int64(n) + 1) << Int64(shift), count: sectorSize),
                  bytes.count == sectorSize else { return nil }
            return bytes
        }
        // The FAT, as far as the file has sectors for it to describe: its own sectors are listed 109 in the header,
        // the rest in the DIFAT chain.
        let perSector = sectorSize / 4
        let fatCount = Int(Self.u32(header, 0x2C))
        guard fatCount <= sectors else { return nil }
        let needed = min(fatCount, (sectors + perSector - 1) / perSector)
        var fatSectors: [UInt32] = []
        for i in 0..<min(needed, 109) { fatSectors.append(Self.u32(header, 0x4C + 4 * i)) }
        var difat = Self.u32(header, 0x44)
        var steps = 0
        while fatSectors.count < needed, difat < Self.endOfChain - 2, steps < sectors {
            guard let block = readSector(difat) else { return nil }
            for i in 0..<(perSector - 1) where fatSectors.count < needed { fatSectors.append(Self.u32(block, 4 * i)) }
            difat = Self.u32(block, sectorSize - 4)
            steps += 1
        }
        guard fatSectors.count == needed else { return nil }
        var fat: [UInt32] = []
        fat.reserveCapacity(needed * perSector)
        for sector in fatSectors {
            guard let block = readSector(sector) else { return nil }
            for i in 0..<perSector { fat.append(Self.u32(block, 4 * i)) }
        }
        self.fat = fat
        guard let directory = Self.chain(from: Self.u32(header, 0x30), fat: fat, limit: sectors), !directory.isEmpty else { return nil }
        self.directory = directory
        if Self.u32(header, 0x40) > 0 {
            guard let chain = Self.chain(from: Self.u32(header, 0x3C), fat: fat, limit: sectors) else { return nil }
            miniFATSectors = chain
        } else {
            miniFATSectors = []
        }
        guard let root = Self.entry(0, directory: directory, file: file, shift: shift), root.type == 5 else { return nil }
        self.root = root
        // One walk of the root's tree of children (an embedded object's streams, in storages below, do not count).
        var streams: [String: Entry] = [:]
        var pending = [root.child]
        var visited: Set<UInt32> = []
        while let index = pending.popLast() {
            guard index != Self.noStream, visited.insert(index).inserted else { continue }
            guard visited.count <= Self.maxRootEntries else { return nil }
            guard let entry = Self.entry(index, directory: directory, file: file, shift: shift) else { continue }
            let name = Self.trimmed(entry.name)
            if entry.isStream, Self.wanted.contains(name), streams[name] == nil { streams[name] = entry }
            pending.append(entry.left)
            pending.append(entry.right)
        }
        self.streams = streams
    }

    /// A name as DROID compares it: without control characters and spaces at either end (Java's `trim`), so that
    /// "\u{1}CompObj" is CompObj.
    static func trimmed(_ name: String) -> String {
        let scalars = name.unicodeScalars
        guard let first = scalars.firstIndex(where: { $0.value > 0x20 }), let last = scalars.lastIndex(where: { $0.value > 0x20 }) else { return "" }
        return String(scalars[first...last])
    }

    /// Directory entry `index`, or nil when it is outside the directory, unused or unreadable.
    private static func entry(_ index: UInt32, directory: [UInt32], file: InputFile, shift: Int) -> Entry? {
        let perSector = (1 << shift) / 128
        guard Int(index) / perSector < directory.count else { return nil }
        let at = (Int64(directory[Int(index) / perSector]) + 1) << Int64(shift) + Int64(Int(index) % perSector * 128)
        guard let e = try? file.read(at: at, count: 128), e.count == 128 else { return nil }
        let length = u16(e, 0x40)
        let type = e[0x42]
        guard (2...64).contains(length), length % 2 == 0, type == 1 || type == 2 || type == 5 else { return nil }
        let units = (0..<(length / 2 - 1)).map { UInt16(e[2 * $0]) | UInt16(e[2 * $0 + 1]) << 8 }
        let size = UInt64(u32(e, 0x78)) | (shift == 12 ? UInt64(u32(e, 0x7C)) << 32 : 0)
        return Entry(name: String(decoding: units, as: UTF16.self), type: type, start: u32(e, 0x74), size: size,
                     left: u32(e, 0x44), right: u32(e, 0x48), child: u32(e, 0x4C))
    }

    /// The stream `name` (one of `wanted`) directly under the root.
    func stream(_ name: String) -> Entry? { streams[name] }

    /// Exactly `count` bytes from the start of stream `name` (fewer when it is shorter), or nil when there is no such
    /// stream or it cannot be read.
    func read(_ name: String, upTo count: Int) -> [UInt8]? {
        guard let entry = stream(name) else { return nil }
        let wanted = Int(min(UInt64(count), entry.size))
        var bytes: [UInt8] = []
        let sectorSize = 1 << sectorShift
        if entry.size < Self.miniCutoff {
            // In the mini stream: 64-byte sectors inside the root entry's own chain.
            let miniSize = 1 << Self.miniShift
            guard let minis = miniChain(from: entry.start, upTo: (wanted + miniSize - 1) / miniSize) else { return nil }
            let last = minis.map { (Int($0) << Self.miniShift) / sectorSize }.max() ?? -1
            guard let rootChain = Self.chain(from: root.start, fat: fat, limit: sectorCount, upTo: last + 1), rootChain.count > last
            else { return nil }
            for mini in minis {
                let offset = Int(mini) << Self.miniShift
                let at = (Int64(rootChain[offset / sectorSize]) + 1) << Int64(sectorShift) + Int64(offset % sectorSize)
                let want = min(miniSize, wanted - bytes.count)
                guard let part = try? file.read(at: at, count: want), part.count == want else { return nil }
                bytes += part
            }
        } else {
            guard let sectors = Self.chain(from: entry.start, fat: fat, limit: sectorCount, upTo: (wanted + sectorSize - 1) / sectorSize)
            else { return nil }
            for sector in sectors {
                let want = min(sectorSize, wanted - bytes.count)
                guard let part = try? file.read(at: (Int64(sector) + 1) << Int64(sectorShift), count: want), part.count == want
                else { return nil }
                bytes += part
            }
        }
        return bytes.count == wanted ? bytes : nil
    }

    /// The first `count` sectors of a chain in the mini FAT, its entries read from the file as the chain goes.
    private func miniChain(from start: UInt32, upTo count: Int) -> [UInt32]? {
        let perSector = (1 << sectorShift) / 4
        var sectors: [UInt32] = []
        var next = start
        while next != Self.endOfChain, sectors.count < count {
            let index = Int(next)
            guard index / perSector < miniFATSectors.count else { return nil }
            sectors.append(next)
            let at = (Int64(miniFATSectors[index / perSector]) + 1) << Int64(sectorShift) + Int64(index % perSector * 4)
            guard let bytes = try? file.read(at: at, count: 4), bytes.count == 4 else { return nil }
            next = Self.u32(bytes, 0)
        }
        return sectors
    }

    /// The first `upTo` sectors (all, by default) of the chain starting at `start`; nil when it leaves the table or
    /// does not end within `limit` steps.
    static func chain(from start: UInt32, fat: [UInt32], limit: Int, upTo wanted: Int = .max) -> [UInt32]? {
        var sectors: [UInt32] = []
        var next = start
        while next != endOfChain, sectors.count < wanted {
            guard Int(next) < fat.count, sectors.count < limit else { return nil }
            sectors.append(next)
            next = fat[Int(next)]
        }
        return sectors
    }

    static func u16(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) | Int(b[at + 1]) << 8 }

    static func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }
}
