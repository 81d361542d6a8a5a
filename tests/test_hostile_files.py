"""Hostile files, built here in tmp_path, each end in a named IngestError within bounded time and memory."""
from __future__ import annotations

import io
import random
import struct
import time
import zipfile
import zlib
from pathlib import Path

import pytest

from ingest.errors import IngestError
from ingest.sandbox import ParserPool

# Generous wall-clock guard per file (not a performance assertion): the pool's own timeout plus child startup.
TIMEOUT = 20.0
GUARD = 30.0
MEMORY_MB = 768  # the child imports bs4/lxml/pypdf/python-docx; this leaves room for them and little else
MAX_BYTES = 4 * 1024 * 1024  # the bombs are ~2 MB on disk, so they reach the parser

GOOD_MD = "# Good file\n\nThis file is fine and should be read after every hostile one.\n"


# ---------------------------------------------------------------- builders for hostile files

def _pdf(objects: dict[int, bytes], streams: dict[int, tuple[bytes, bytes]] | None = None,
         prev_loop: bool = False) -> bytes:
    """A PDF with correct xref offsets from object bodies; streams map number -> (dict entries, raw data)."""
    streams = streams or {}
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num in sorted(set(objects) | set(streams)):
        offsets[num] = out.tell()
        out.write(b"%d 0 obj\n" % num)
        if num in streams:
            extra, data = streams[num]
            out.write(b"<< /Length %d %s >>\nstream\n" % (len(data), extra))
            out.write(data)
            out.write(b"\nendstream\nendobj\n")
        else:
            out.write(objects[num] + b"\nendobj\n")
    size = max(offsets) + 1

    def xref_table() -> bytes:
        rows = [b"xref\n0 %d\n" % size, b"0000000000 65535 f \n"]
        rows += [b"%010d 00000 n \n" % offsets.get(i, 0) if i in offsets else b"0000000000 65535 f \n"
                 for i in range(1, size)]
        return b"".join(rows)

    if prev_loop:
        # two xref sections whose trailers' /Prev point at each other
        first = out.tell()
        second = first + len(xref_table()) + len(b"trailer\n<< /Size %d /Root 1 0 R /Prev %010d >>\n" % (size, 0))
        out.write(xref_table())
        out.write(b"trailer\n<< /Size %d /Root 1 0 R /Prev %010d >>\n" % (size, second))
        assert out.tell() == second
        out.write(xref_table())
        out.write(b"trailer\n<< /Size %d /Root 1 0 R /Prev %010d >>\n" % (size, first))
        start = second
    else:
        start = out.tell()
        out.write(xref_table())
        out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\n" % size)
    out.write(b"startxref\n%d\n%%%%EOF\n" % start)
    return out.getvalue()


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
TEXT_OPS = b"BT /F1 12 Tf 72 720 Td (Hello from a small page.) Tj ET"


def deflate_zeros(total: int, chunk: int = 1024 * 1024) -> bytes:
    """A valid zlib stream of `total` zero bytes, built in about a second by repeating one full-flushed block."""
    zeros = bytes(chunk)
    c = zlib.compressobj(9)
    first = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)  # after a full flush the state repeats exactly
    n = max(1, total // chunk)
    adler = ((n * chunk) % 65521) << 16 | 1  # Adler-32 of n*chunk zero bytes, in closed form
    return first + block * (n - 1) + c.flush()[:-4] + struct.pack(">I", adler)


def pdf_bomb(total: int = 2 * 1024 ** 3) -> bytes:
    """One page whose FlateDecode content stream inflates to `total` bytes (about 2 MB on disk for 2 GB)."""
    return _pdf({1: CATALOG, 2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", 3: PAGE, 5: FONT},
                {4: (b"/Filter /FlateDecode", deflate_zeros(total))})


def pdf_many_bombs(pages: int = 40, each: int = 70 * 1024 * 1024) -> bytes:
    """Many pages, each with a stream just under pypdf's default per-stream limit: the total is what hurts."""
    data = deflate_zeros(each)
    objects = {1: CATALOG, 5: FONT}
    streams = {}
    kids = []
    for i in range(pages):
        page, content = 10 + 2 * i, 11 + 2 * i
        kids.append(b"%d 0 R" % page)
        objects[page] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
                         b"/Resources << /Font << /F1 5 0 R >> >> >>" % content)
        streams[content] = (b"/Filter /FlateDecode", data)
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), pages)
    return _pdf(objects, streams)


def pdf_shared_stream(pages: int = 1500, each: int = 30 * 1024 * 1024) -> bytes:
    """Every page draws the same stream, just under the per-stream cap: only the timeout bounds the total work."""
    objects = {1: CATALOG, 5: FONT}
    kids = []
    for i in range(pages):
        objects[10 + i] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
                           b"/Resources << /Font << /F1 5 0 R >> >> >>")
        kids.append(b"%d 0 R" % (10 + i))
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), pages)
    return _pdf(objects, {4: (b"/Filter /FlateDecode", deflate_zeros(each))})


def pdf_pages_self_loop() -> bytes:
    """The /Pages node lists itself as its own kid."""
    return _pdf({1: CATALOG, 2: b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>", 3: PAGE, 5: FONT},
                {4: (b"", TEXT_OPS)})


def pdf_parent_loop() -> bytes:
    """Two /Pages nodes that are each other's parent and kid; the page inherits everything through them."""
    return _pdf({1: CATALOG,
                 2: b"<< /Type /Pages /Kids [6 0 R] /Count 1 /Parent 6 0 R >>",
                 6: b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 1 /Parent 2 0 R >>",
                 3: b"<< /Type /Page /Parent 6 0 R /Contents 4 0 R >>", 5: FONT},
                {4: (b"", TEXT_OPS)})


def pdf_prev_loop() -> bytes:
    """Two xref sections whose trailers' /Prev point at each other."""
    return _pdf({1: CATALOG, 2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", 3: PAGE, 5: FONT},
                {4: (b"", TEXT_OPS)}, prev_loop=True)


def pdf_length_self_ref() -> bytes:
    """A stream whose /Length is a reference to the stream object itself."""
    body = (b"<< /Length 4 0 R >>\nstream\n" + TEXT_OPS + b"\nendstream")
    return _pdf({1: CATALOG, 2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", 3: PAGE, 4: body, 5: FONT})


def pdf_xobject_recursion() -> bytes:
    """A form XObject that draws itself, so text extraction would recurse forever."""
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> /XObject << /X1 7 0 R >> >> >>")
    return _pdf({1: CATALOG, 2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", 3: page, 5: FONT},
                {4: (b"", b"/X1 Do"),
                 7: (b"/Type /XObject /Subtype /Form /BBox [0 0 612 792] "
                     b"/Resources << /Font << /F1 5 0 R >> /XObject << /X1 7 0 R >> >>",
                     TEXT_OPS + b" /X1 Do")})


def deep_html(depth: int = 100_000) -> bytes:
    return (b"<html><body>" + b"<div>" * depth + b"<p>deep text</p>" + b"</div>" * depth + b"</body></html>")


def deep_html_blocks(depth: int = 100_000) -> bytes:
    """Nested block elements (the reader checks each block's parents)."""
    return b"<html><body>" + b"<blockquote>" * depth + b"deep" + b"</blockquote>" * depth + b"</body></html>"


def docx_declared_bomb() -> bytes:
    """A DOCX whose word/document.xml honestly declares (and expands to) 300 MB."""
    return _zip_with_member(300 * 1024 * 1024, lie=False)


def docx_lying_bomb() -> bytes:
    """A DOCX whose headers claim a tiny word/document.xml that really inflates to 300 MB."""
    return _zip_with_member(300 * 1024 * 1024, lie=True)


def docx_high_ratio() -> bytes:
    """A zip under the size cap but with a compression ratio far above any real document (~1000:1)."""
    return _zip_with_member(50 * 1024 * 1024, lie=False)


CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/'
                 b'2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                 b'package.relationships+xml"/><Override PartName="/word/document.xml" ContentType="application/'
                 b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/officeDocument" Target="word/document.xml"/></Relationships>')


def _zip_with_member(size: int, lie: bool, chunk: bytes = b"a" * (16 * 1024 * 1024), level: int = 9) -> bytes:
    """A minimal DOCX package whose document.xml is `size` bytes (`chunk` repeated as padding), deflated by hand."""
    head = (b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/'
            b'2006/main"><w:body><w:p><w:r><w:t>')
    tail = b"</w:t></w:r></w:p></w:body></w:document>"
    pad = (size - len(head) - len(tail)) // 16 * 16  # whole 16-byte units, so element padding stays well-formed
    size = len(head) + pad + len(tail)
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    parts = [c.compress(head)]
    crc = zlib.crc32(head)
    left = pad
    while left > 0:
        piece = chunk if left >= len(chunk) else chunk[:left]
        parts.append(c.compress(piece))
        crc = zlib.crc32(piece, crc)
        left -= len(piece)
    parts.append(c.compress(tail))
    crc = zlib.crc32(tail, crc)
    parts.append(c.flush())
    packed = b"".join(parts)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", RELS)
        zf.writestr("word/document.xml", b"")  # placeholder entry, replaced below
    # Rebuild the archive with the hand-made member: local header, data, then central directory.
    declared = 1000 if lie else size
    entries = []
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as zf:
        members = [(i.filename, zf.read(i.filename)) for i in zf.infolist() if i.filename != "word/document.xml"]
    for name, raw in members + [("word/document.xml", None)]:
        if raw is None:
            data, usize, ucrc = packed, declared, crc
        else:
            cc = zlib.compressobj(9, zlib.DEFLATED, -15)
            data, usize, ucrc = cc.compress(raw) + cc.flush(), len(raw), zlib.crc32(raw)
        fname = name.encode()
        entries.append((fname, out.tell(), len(data), usize, ucrc))
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, ucrc, len(data), usize, len(fname), 0))
        out.write(fname)
        out.write(data)
    cd_start = out.tell()
    for fname, off, csize, usize, ucrc in entries:
        out.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, ucrc, csize, usize,
                              len(fname), 0, 0, 0, 0, 0, off))
        out.write(fname)
    cd_size = out.tell() - cd_start
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), cd_size, cd_start, 0))
    return out.getvalue()


def random_binary(n: int = 64 * 1024, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(n)


CP1252_TEXT = ("Réduction progressive – “lente” et prudente\n=============================================\n\n"
               "Le médecin a proposé une réduction très lente: 10 % par mois, avec un suivi régulier. "
               "Coût estimé 5 € par semaine; l’équipe reste disponible.\n")
UTF16_TEXT = "Douleur chronique\n=================\n\nRéduction progressive très lente — 10 % par mois.\n"
MIXED_ENCODINGS = ("Réduction très lente".encode("utf-8") + "Réduction très lente ".encode("cp1252") * 3
                   + "Дозировка".encode("koi8-r"))
BAD_UTF16 = b"\xff\xfe" + "Hello".encode("utf-16-le") + b"\x00\xd8a\x00"  # BOM, then a lone surrogate


# name -> (bytes builder, expected error class name or None for "decodes", words the reason must contain)
HOSTILE = {
    "bomb.pdf": (pdf_bomb, "CorruptDocument", "safety limit"),
    "many-bombs.pdf": (pdf_many_bombs, "CorruptDocument", "safety limit"),
    "pages-loop.pdf": (pdf_pages_self_loop, "CorruptDocument", "cyclic"),
    "parent-loop.pdf": (pdf_parent_loop, "CorruptDocument", "cyclic"),
    "length-loop.pdf": (pdf_length_self_ref, "CorruptDocument", "loop"),
    "deep.html": (deep_html, "CorruptDocument", "nested"),
    "deep-blocks.html": (deep_html_blocks, "CorruptDocument", "nested"),
    "huge.txt": (lambda: b"word " * (MAX_BYTES // 5 + 1000), "FileTooLarge", "limit"),
    "random.txt": (random_binary, "CorruptDocument", "binary"),
    "random.md": (lambda: random_binary(seed=8), "CorruptDocument", "binary"),
    "random.html": (lambda: random_binary(seed=9), "CorruptDocument", "binary"),
    "controls.txt": (lambda: bytes(random.Random(2).randrange(1, 32) for _ in range(4000)), "CorruptDocument",
                     "binary"),
    "mixed-encodings.txt": (lambda: MIXED_ENCODINGS, "CorruptDocument", "encoding"),
    "bad-utf16.txt": (lambda: BAD_UTF16, "CorruptDocument", "UTF-16"),
    "declared-bomb.docx": (docx_declared_bomb, "CorruptDocument", "zip bomb"),
    "lying-bomb.docx": (docx_lying_bomb, "CorruptDocument", "CRC"),
    "high-ratio.docx": (docx_high_ratio, "CorruptDocument", "zip bomb"),
}

# Loops pypdf breaks by itself: the file is bounded and its real text is kept, which beats refusing it.
TOLERATED = {
    "prev-loop.pdf": pdf_prev_loop,
    "xobject-loop.pdf": pdf_xobject_recursion,
}

DECODES = {
    "utf16-bom.txt": (UTF16_TEXT.encode("utf-16"), "Réduction progressive très lente — 10 % par mois."),
    "utf16-le-no-bom.txt": (UTF16_TEXT.encode("utf-16-le"), "Réduction progressive très lente — 10 % par mois."),
    "utf16-be-no-bom.txt": (UTF16_TEXT.encode("utf-16-be"), "Réduction progressive très lente — 10 % par mois."),
    "cp1252.txt": (CP1252_TEXT.encode("cp1252"), "Coût estimé 5 € par semaine; l’équipe reste disponible."),
}


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    for name, (build, _, _) in HOSTILE.items():
        (folder / name).write_bytes(build())
    for name, build in TOLERATED.items():
        (folder / name).write_bytes(build())
    (folder / "good.md").write_text(GOOD_MD)
    return folder


@pytest.fixture(scope="module")
def pool():
    with ParserPool(timeout=TIMEOUT, memory_mb=MEMORY_MB, max_bytes=MAX_BYTES) as p:
        yield p


def _read_good(pool: ParserPool, folder: Path) -> None:
    docs = pool.read(folder / "good.md")
    assert "should be read after every hostile one" in docs[0].text


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_gets_a_named_error_in_bounded_time(pool, hostile_dir, name):
    _, error, words = HOSTILE[name]
    path = hostile_dir / name
    started = time.monotonic()
    with pytest.raises(IngestError) as info:
        pool.read(path)
    elapsed = time.monotonic() - started
    assert elapsed < GUARD, f"{name} took {elapsed:.1f} s"
    assert type(info.value).__name__ == error, str(info.value)
    assert name in str(info.value) and info.value.path == str(path)
    assert words.lower() in info.value.reason.lower(), info.value.reason
    _read_good(pool, hostile_dir)  # the pool (or its replacement child) still works


@pytest.mark.parametrize("name", sorted(TOLERATED))
def test_reference_loops_pypdf_breaks_are_bounded(pool, hostile_dir, name):
    started = time.monotonic()
    docs = pool.read(hostile_dir / name)
    assert time.monotonic() - started < GUARD
    assert docs[0].text.count("Hello from a small page.") == 1
    _read_good(pool, hostile_dir)


@pytest.mark.parametrize("name", sorted(DECODES))
def test_unexpected_encodings_decode(pool, tmp_path, hostile_dir, name):
    data, expected = DECODES[name]
    path = tmp_path / name
    path.write_bytes(data)
    docs = pool.read(path)
    assert expected in docs[0].text


def test_amplification_across_pages_is_stopped_by_the_timeout(hostile_dir, tmp_path):
    """Many pages sharing one stream just under the cap: no single limit trips, so the timeout must."""
    path = tmp_path / "shared-stream.pdf"
    path.write_bytes(pdf_shared_stream())
    with ParserPool(timeout=3.0, memory_mb=MEMORY_MB, max_bytes=MAX_BYTES) as p:
        started = time.monotonic()
        with pytest.raises(IngestError) as info:
            p.read(path)
        assert time.monotonic() - started < GUARD
        assert type(info.value).__name__ == "ParseTimeout" and path.name in str(info.value)
        _read_good(p, hostile_dir)


def test_memory_exhaustion_stays_in_the_child(hostile_dir, tmp_path):
    """A DOCX inside every zip limit (80 MB, ratio ~27) whose 20 million XML elements need gigabytes to parse."""
    rng = random.Random(5)
    elements = b"".join(rng.choice([b"<a/><a/><a/><a/>", b"<b/><a/><a/><a/>"]) for _ in range(65536))
    path = tmp_path / "dense.docx"
    path.write_bytes(_zip_with_member(80 * 1024 * 1024, lie=False, chunk=elements, level=3))
    assert path.stat().st_size < MAX_BYTES
    with ParserPool(timeout=TIMEOUT, memory_mb=MEMORY_MB, max_bytes=MAX_BYTES) as p:
        started = time.monotonic()
        with pytest.raises(IngestError) as info:
            p.read(path)
        assert time.monotonic() - started < GUARD
        assert path.name in str(info.value), str(info.value)
        # With memory to spare this file parses and has no text (EmptyDocument); the limit makes it fail instead.
        assert type(info.value).__name__ == "CorruptDocument", str(info.value)
        _read_good(p, hostile_dir)


def test_ingest_paths_fails_hostile_files_and_keeps_the_kb(kb_factory, tmp_path, hostile_dir):
    from fixtures import MD, TXT

    kb = kb_factory("kb", max_file_mb=4, parse_timeout=TIMEOUT, parse_memory_mb=MEMORY_MB)
    first = tmp_path / "first"
    first.mkdir()
    (first / "taper.md").write_text(MD)
    assert kb.ingest_paths([first]).failed == 0
    before = {d.doc_id for d in kb.list_documents()}
    assert before == {"fx-taper"}

    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "bup.txt").write_text(TXT)
    hostile = ["bomb.pdf", "pages-loop.pdf", "length-loop.pdf", "deep.html", "random.txt", "mixed-encodings.txt",
               "lying-bomb.docx", "declared-bomb.docx"]
    for name in hostile:
        (batch / name).write_bytes((hostile_dir / name).read_bytes())
    (batch / "huge.txt").write_bytes(b"word " * 1_000_000)  # 5 MB, above max_file_mb=4
    hostile.append("huge.txt")

    report = kb.ingest_paths([batch])
    outcomes = {Path(f.path).name: f for f in report.files}
    assert outcomes["bup.txt"].status == "added", outcomes["bup.txt"]
    for name in hostile:
        assert outcomes[name].status == "failed" and outcomes[name].reason, outcomes[name]
    assert report.failed == len(hostile)
    after = {d.doc_id for d in kb.list_documents()}
    assert after == before | {"bup"}
    assert kb.search("how fast can I taper opioids", k=3).hits[0].doc_id == "fx-taper"
