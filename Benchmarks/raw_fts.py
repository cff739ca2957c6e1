# Raw SQLite FTS5 baseline for Benchmarks/search.sh: the same text and the same FTS5 options as Diarium's index
# (unicode61 remove_diacritics 0, prefix indexes 3 and 4, title weighted 10:1), without Diarium.
#   python3 raw_fts.py load CORPUS.tsv DB      docs(id, title, body) + external-content fts, built by 'rebuild'
#   python3 raw_fts.py rebuild DB              time FTS5's 'rebuild' alone
import sqlite3, sys, time
cmd, *rest = sys.argv[1:]
if cmd == "load":
    tsv, db = rest
    con = sqlite3.connect(db)
    con.executescript("""
        PRAGMA journal_mode = WAL;
        CREATE TABLE docs(id INTEGER PRIMARY KEY, title TEXT, body TEXT);
        CREATE VIRTUAL TABLE fts USING fts5(title, body, content = 'docs', content_rowid = 'id',
                                            tokenize = 'unicode61 remove_diacritics 0', prefix = '3 4');
        INSERT INTO fts(fts, rank) VALUES ('rank', 'bm25(10.0, 1.0)');
    """)
    with con:
        with open(tsv, encoding="utf-8") as f:
            con.executemany("INSERT INTO docs VALUES (?, ?, ?)", (line.rstrip("\n").split("\t", 2) for line in f))
    t0 = time.perf_counter()
    with con:
        con.execute("INSERT INTO fts(fts) VALUES ('rebuild')")
    print("load_rebuild_seconds=%.1f" % (time.perf_counter() - t0))
elif cmd == "rebuild":
    (db,) = rest
    con = sqlite3.connect(db)
    t0 = time.perf_counter()
    with con:
        con.execute("INSERT INTO fts(fts) VALUES ('rebuild')")
    print("rebuild_seconds=%.1f" % (time.perf_counter() - t0))
